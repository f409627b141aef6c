using System.Collections.Concurrent;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.Planning;
using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>Whether a tier's new servers fit where they would run, asked before any of them is launched so a tier never half-starts.</summary>
public interface ITierCapacity
{
    /// <summary>Why <paramref name="count"/> more servers of <paramref name="tier"/> cannot all be placed now (starting <c>no capacity:</c>), or null when they can.</summary>
    Task<string?> ShortageAsync(string deployment, TierSpec tier, int count, CancellationToken ct);

    /// <summary>
    /// The hosts up to <paramref name="count"/> new servers of the tier would go to now, in order (fewer when not all
    /// fit), for the plan; null when servers are not placed on hosts.
    /// </summary>
    Task<IReadOnlyList<PlannedHost>?> PreviewAsync(string deployment, TierSpec tier, int count, CancellationToken ct);

    /// <summary>Why the server must move off where it runs (e.g. "host h2 is draining"), or null when it may stay.</summary>
    string? WhyMoving(string serverId);
}

/// <summary>The control plane's machine alone: servers are limited by the provider's own resources, not by placement.</summary>
internal sealed class UnlimitedCapacity : ITierCapacity
{
    public Task<string?> ShortageAsync(string deployment, TierSpec tier, int count, CancellationToken ct) => Task.FromResult<string?>(null);

    public Task<IReadOnlyList<PlannedHost>?> PreviewAsync(string deployment, TierSpec tier, int count, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<PlannedHost>?>(null);

    public string? WhyMoving(string serverId) => null;
}

/// <summary>
/// Lets a tier's new servers start only when all of them fit (<see cref="ITierCapacity"/>); otherwise none starts, the
/// tier's message says why and a <c>tier.no-capacity</c> event is published, once per distinct reason.
/// </summary>
public sealed class TierCapacityGate(ITierCapacity capacity, EventLog events)
{
    // The shortage last reported per deployment and tier, so that a tier waiting for capacity is reported once.
    private readonly ConcurrentDictionary<(string Deployment, string Tier), string> _reported = new();

    /// <summary>The tier's live servers that must move off where they run, with why (see <see cref="ITierCapacity.WhyMoving"/>).</summary>
    public IReadOnlyDictionary<string, string> MovingOf(TierState tier) =>
        tier.LiveServers.Select(s => (s.Name, Why: capacity.WhyMoving(s.Name))).Where(s => s.Why is not null).ToDictionary(s => s.Name, s => s.Why!, StringComparer.Ordinal);

    public Task<bool> AllowAsync(DeploymentRuntime runtime, TierSpec tier, int count, CancellationToken ct) =>
        AllowAsync(runtime, tier, count, new Dictionary<string, string>(), ct);

    /// <param name="runtime">The tier's deployment.</param>
    /// <param name="tier">The tier whose servers would start.</param>
    /// <param name="count">How many.</param>
    /// <param name="moving">Servers of the tier these new ones would replace because they must move (<see cref="MovingOf"/>):
    /// a shortage then says that they stay where they are.</param>
    /// <param name="ct">Cancels the check.</param>
    public async Task<bool> AllowAsync(DeploymentRuntime runtime, TierSpec tier, int count, IReadOnlyDictionary<string, string> moving, CancellationToken ct)
    {
        var key = (runtime.Name, tier.Name);
        if (await capacity.ShortageAsync(runtime.Name, tier, count, ct).ConfigureAwait(false) is not { } shortage)
        {
            _reported.TryRemove(key, out _);
            return true;
        }

        runtime.SetWaiting(tier.Name, shortage);
        if (!_reported.TryGetValue(key, out var reported) || reported != shortage)
        {
            _reported[key] = shortage;
            var (kind, message) = moving.Count == 0
                ? (EventKinds.TierNoCapacity, $"tier {tier.Name}: {shortage}; none of its {count} new servers starts until all fit")
                : (EventKinds.HostDrain, $"tier {tier.Name} cannot move {Describe(moving)} elsewhere: {shortage}; "
                    + $"{(moving.Count == 1 ? "it keeps" : "they keep")} running where {(moving.Count == 1 ? "it is" : "they are")} until a host can take {(moving.Count == 1 ? "it" : "them")}");
            await events.PublishAsync(runtime.Name, kind, message, EventSubject.OfTier(tier.Name), EventSeverity.Warning, ct).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>The shortage last reported for the tier while its new servers are held back, or null.</summary>
    public string? ShortageOf(string deployment, string tier) => _reported.GetValueOrDefault((deployment, tier));

    private static string Describe(IReadOnlyDictionary<string, string> moving) =>
        string.Join(", ", moving.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key} ({m.Value})"));

    /// <summary>True while the tier's new servers are held back for want of capacity: its message is the shortage.</summary>
    public bool IsShort(string deployment, string tier) => _reported.ContainsKey((deployment, tier));

    /// <summary>The tier has no new servers waiting any more; a later shortage is reported again.</summary>
    public void Forget(string deployment, string tier) => _reported.TryRemove((deployment, tier), out _);
}
