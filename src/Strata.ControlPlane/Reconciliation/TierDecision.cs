using Strata.Planning;
using Strata.Spec;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>What a tier needs now: how many servers to launch and which to terminate, and why.</summary>
public sealed record TierActions(int Launch, IReadOnlyList<TierTermination> Terminate, string? Waiting)
{
    public static TierActions None { get; } = new(0, [], null);
}

public sealed record TierTermination(string Server, string Reason);

/// <summary>The launch settings new servers of a tier get, and their count.</summary>
public sealed record TierTarget(string ImageDigest, string LaunchDigest, int Desired, UpdatePolicySpec Update);

/// <summary>
/// Decides, from a tier's servers and its target, which servers to launch and terminate. Pure: it never calls a
/// provider, so scaling, replacement of failed servers and rolling replacement are tested without processes.
/// </summary>
public static class TierDecision
{
    public static TierActions Decide(TierTarget target, IReadOnlyList<ServerState> servers, bool launchAllowed)
    {
        var live = servers.Where(s => s.State is not (ServerStatus.Terminating or ServerStatus.Terminated or ServerStatus.Failed)).ToList();
        var current = live.Where(s => IsCurrent(s, target)).ToList();
        var outdated = live.Where(s => !IsCurrent(s, target)).ToList();

        var terminate = new List<TierTermination>();
        if (outdated.Count == 0)
        {
            foreach (var extra in ScaleInOrder(current).Take(Math.Max(0, current.Count - target.Desired)))
            {
                terminate.Add(new(extra.Name, $"scaling in to {target.Desired}"));
            }
        }
        else
        {
            terminate.AddRange(RollingTerminations(target, current, outdated));
        }

        var surge = Surge(target);
        var wanted = Math.Max(0, target.Desired - current.Count);
        var room = Math.Max(0, target.Desired + surge - (live.Count - terminate.Count));
        var launch = launchAllowed ? Math.Min(wanted, room) : 0;
        var waiting = !launchAllowed && wanted > 0 ? "waiting before launching again after failures" : null;
        return new TierActions(launch, terminate, waiting);
    }

    private static IEnumerable<TierTermination> RollingTerminations(TierTarget target, List<ServerState> current, List<ServerState> outdated)
    {
        var unavailable = target.Update.MaxUnavailable.Resolve(target.Desired);

        // Old servers go once enough new ones serve: in service new + in service old - removed >= desired - unavailable.
        var serving = current.Count(s => s.State == ServerStatus.InService) + outdated.Count(s => s.State == ServerStatus.InService);
        var removable = serving - (target.Desired - unavailable);
        foreach (var server in ScaleInOrder(outdated))
        {
            var notServing = server.State != ServerStatus.InService;
            if (notServing || removable > 0)
            {
                removable -= notServing ? 0 : 1;
                yield return new TierTermination(server.Name, "replaced by a server with the new image or launch settings");
            }
        }
    }

    /// <summary>The extra servers an update may launch above desired; at least one when none may be unavailable.</summary>
    private static int Surge(TierTarget target)
    {
        var surge = target.Update.MaxSurge.Resolve(target.Desired);
        var unavailable = target.Update.MaxUnavailable.Resolve(target.Desired);
        return surge == 0 && unavailable == 0 ? 1 : surge;
    }

    private static bool IsCurrent(ServerState server, TierTarget target) =>
        server.ImageDigest == target.ImageDigest && server.LaunchDigest == target.LaunchDigest;

    /// <summary>Unhealthy servers go first, then servers not yet in service, then the oldest.</summary>
    public static IEnumerable<ServerState> ScaleInOrder(IEnumerable<ServerState> servers) =>
        servers.OrderBy(s => s.State switch
        {
            ServerStatus.Unhealthy => 0,
            ServerStatus.Pending or ServerStatus.Configuring or ServerStatus.Booting => 1,
            _ => 2,
        }).ThenBy(s => s.LaunchedAt).ThenBy(s => s.Name, StringComparer.Ordinal);
}
