using Strata.Planning.State;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Whether a server recorded as pending may start launching now. Pure, like <see cref="TierDecision"/>: it reads the
/// state and never calls a provider, so a pending server that must wait is simply left for a later pass.
/// </summary>
public static class LaunchGate
{
    /// <summary>
    /// False while the server's tier waits for the tiers it refers to, while the server it replaces still holds its
    /// volume, or while the tier's launches back off after failures.
    /// </summary>
    public static bool MayStart(DeploymentRuntime runtime, ServerState server, DateTimeOffset now)
    {
        var tier = runtime.DesiredFor(server).Spec.FindTier(server.Tier);
        if (tier is null)
        {
            // The launch finds no tier and does nothing; there is nothing to hold back.
            return true;
        }

        var failures = runtime.Failures.GetValueOrDefault(server.Tier);
        return WaitingFor(runtime.Desired.Spec, runtime.State, tier) is null
            && VolumeBook.HeldForReplacement(runtime.State, tier, server.Name) is null
            && (failures is null || now >= failures.NotBefore);
    }

    /// <summary>
    /// A tier whose servers this tier refers to (or depends on) that does not yet have its desired servers in service,
    /// or null. A reference is a dependency whether or not <c>dependsOn</c> names it: launching before the values are
    /// final would only fail, or start servers that must be replaced once the values change.
    /// </summary>
    public static string? WaitingFor(DeploymentSpec spec, DeploymentState state, TierSpec tier)
    {
        foreach (var dependency in TierDependencies.Of(spec, tier))
        {
            var other = state.FindTier(dependency);
            if (other is not null && other.Servers.Count(s => s.State == ServerStatus.InService) < Math.Max(1, other.Count.Desired))
            {
                return dependency;
            }
        }

        return null;
    }
}
