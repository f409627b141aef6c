using Strata.ControlPlane.Deployments;
using Strata.Planning.State;
using Strata.Spec.Interpolation;

namespace Strata.ControlPlane.Secrets;

/// <summary>
/// Replaces every secret parameter value of a deployment with <c>(secret)</c> in text Strata captured from its
/// processes (a hook's output, a failed server's log tail, a health command's stderr) before that text is stored in
/// state or events or shown in a status.
/// </summary>
public sealed class SecretScrubber
{
    private readonly string[] _values;

    private SecretScrubber(string[] values) => _values = values;

    /// <summary>A scrubber that changes nothing.</summary>
    public static SecretScrubber None { get; } = new([]);

    /// <summary>The secret values of every given apply; a rollback may bring the previous apply's values back.</summary>
    public static SecretScrubber Of(params DesiredDeployment?[] applies) =>
        new([.. applies
            .SelectMany(a => a?.ParameterValues.Values ?? [])
            .Where(v => v.IsSecret && !string.IsNullOrEmpty(v.AsText()))
            .Select(v => v.AsText()!)
            .Distinct(StringComparer.Ordinal)
            // A secret that contains another is replaced first, so no part of it is left behind.
            .OrderByDescending(v => v.Length)]);

    /// <summary>The text with each secret value replaced by <c>(secret)</c>.</summary>
    public string Scrub(string text)
    {
        foreach (var value in _values)
        {
            if (text.Contains(value, StringComparison.Ordinal))
            {
                text = text.Replace(value, TemplateValue.SecretText, StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>The state with its captured text (server messages, rollout reasons) scrubbed; the same instance when nothing changed.</summary>
    public DeploymentState Scrub(DeploymentState state)
    {
        if (_values.Length == 0 || !state.Tiers.Any(NeedsScrubbing))
        {
            return state;
        }

        return state with { Tiers = [.. state.Tiers.Select(t => NeedsScrubbing(t) ? Scrub(t) : t)] };
    }

    private TierState Scrub(TierState tier) => tier with
    {
        Servers = [.. tier.Servers.Select(s => s.Message is { } message && Holds(message) ? s with { Message = Scrub(message) } : s)],
        Rollout = tier.Rollout is { Reason: { } reason } rollout && Holds(reason) ? rollout with { Reason = Scrub(reason) } : tier.Rollout,
    };

    private bool NeedsScrubbing(TierState tier) =>
        tier.Servers.Any(s => s.Message is { } message && Holds(message)) || tier.Rollout?.Reason is { } reason && Holds(reason);

    private bool Holds(string text) => _values.Any(v => text.Contains(v, StringComparison.Ordinal));
}
