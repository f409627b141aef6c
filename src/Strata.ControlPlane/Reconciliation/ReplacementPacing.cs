using Strata.Planning.State;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>The unhealthy servers a tier replaces now, and how many it holds back.</summary>
/// <param name="Now">The servers to terminate now, longest unhealthy first.</param>
/// <param name="HeldBack">Unhealthy servers due for replacement that wait for the ones under way.</param>
public sealed record PacedReplacements(IReadOnlyList<ServerState> Now, int HeldBack);

/// <summary>
/// Paces the replacement of unhealthy servers. When many servers of a tier fail their checks together while their
/// processes run, the cause is usually the machine (or the control plane) being overloaded, and replacing them all
/// starts as many new processes, which overloads it further: a storm. So when more than <c>maxReplacing</c> servers
/// are unhealthy at once, none is replaced: they stay out of rotation, still probed, and one that recovers goes back
/// into service. Fewer are replaced, at most <c>maxReplacing</c> replacements under way at once (servers terminating
/// for replacement, and servers not yet in service). Pure, like
/// <see cref="TierDecision"/>.
/// </summary>
public static class ReplacementPacing
{
    /// <param name="due">Unhealthy servers past the recovery delay.</param>
    /// <param name="servers">All the tier's servers.</param>
    /// <param name="maxReplacing">The tier's budget of replacements under way, at least 1.</param>
    public static PacedReplacements Pace(IReadOnlyList<ServerState> due, IReadOnlyList<ServerState> servers, int maxReplacing)
    {
        if (servers.Count(s => s.State == ServerStatus.Unhealthy) > Math.Max(1, maxReplacing))
        {
            // More failing together than a tier replaces at once: the machine, not the servers, is the likely cause.
            return new PacedReplacements([], due.Count);
        }

        var underWay = servers.Count(s =>
            s.State is ServerStatus.Pending or ServerStatus.Configuring or ServerStatus.Booting
            || s is { State: ServerStatus.Terminating, Termination: TerminationCause.Replacement });
        var room = Math.Max(0, Math.Max(1, maxReplacing) - underWay);
        var now = due.OrderBy(s => s.StateSince ?? s.LaunchedAt).ThenBy(s => s.Name, StringComparer.Ordinal).Take(room).ToList();
        return new PacedReplacements(now, due.Count - now.Count);
    }
}
