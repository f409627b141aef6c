using Strata.Planning.Images;
using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>What a tier needs now: how many servers to launch and which to terminate, and why.</summary>
public sealed record TierActions(int Launch, IReadOnlyList<TierTermination> Terminate, string? Waiting)
{
    public static TierActions None { get; } = new(0, [], null);

    /// <summary>Unhealthy servers due for replacement held back by <see cref="TierTarget.MaxReplacing"/>: the tier is overloaded.</summary>
    public int HeldBack { get; init; }

    /// <summary>Why old servers are not replaced in place now (see <see cref="TierTarget.Pinned"/>), or null.</summary>
    public string? Pinned { get; init; }
}

/// <summary>A server to terminate, why (for people) and its <see cref="TerminationCause"/> (for its volumes).</summary>
public sealed record TierTermination(string Server, string Reason, TerminationCause Cause);

/// <summary>
/// The launch settings new servers of a tier get, and their count. <paramref name="ReferenceDigest"/> covers values
/// taken from other tiers; <paramref name="MaxNew"/> caps servers of the new launch (one for a canary).
/// </summary>
public sealed record TierTarget(
    string ImageDigest, string LaunchDigest, int Desired, UpdatePolicySpec Update, string ReferenceDigest = "", int? MaxNew = null)
{
    /// <summary>How long a dead or unhealthy server is left before it is replaced (the tier's recovery delay).</summary>
    public TimeSpan RecoveryDelay { get; init; }

    /// <summary>Replacements of unhealthy servers under way at once (the tier's <c>maxReplacing</c>, resolved); the default is no limit.</summary>
    public int MaxReplacing { get; init; } = int.MaxValue;

    /// <summary>Servers older than this are replaced, the oldest first and one at a time (the tier's <c>maxAge</c>).</summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary>
    /// Servers that must leave where they run, by name, with why (e.g. their host drains): each is replaced like a
    /// server of an old launch, with the same surge, health gate and bake. The default is none.
    /// </summary>
    public IReadOnlyDictionary<string, string> Moving { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The tier has volumes, which go to each server's replacement, or no host can take a new server beside the old
    /// ones (see <see cref="TierCapacityGate.InPlaceAsync"/>): the update surges by none and lets one server be
    /// unavailable, so each old server stops before its replacement starts.
    /// </summary>
    public bool InPlace { get; init; }

    /// <summary>
    /// Servers that keep volumes where their replacement could not start now (their host takes no new server), by
    /// name, with why: an in-place replacement would only stop them, so they run on until it could start. The default
    /// is none.
    /// </summary>
    public IReadOnlyDictionary<string, string> Pinned { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The tier's servers keep volumes, which go to each one's replacement: one that must move (see <see cref="Moving"/>)
    /// stops like an old server of an in-place update, and its replacement starts elsewhere with its volumes.
    /// </summary>
    public bool KeepsVolumes { get; init; }
}

/// <summary>
/// Decides, from a tier's servers and its target, which servers to launch and terminate. Pure: it never calls a
/// provider, so scaling, replacement of failed servers and rolling replacement are tested without processes.
/// </summary>
public static class TierDecision
{
    public static TierActions Decide(TierTarget target, IReadOnlyList<ServerState> servers, bool launchAllowed) =>
        Decide(target, servers, launchAllowed, DateTimeOffset.MaxValue);

    /// <param name="target">What the tier should run.</param>
    /// <param name="servers">The tier's servers as recorded.</param>
    /// <param name="launchAllowed">False while launches back off after failures.</param>
    /// <param name="now">The time, against which a new server's bake time is judged.</param>
    public static TierActions Decide(TierTarget target, IReadOnlyList<ServerState> servers, bool launchAllowed, DateTimeOffset now)
    {
        // Unhealthy servers past the recovery delay are replaced, a few at a time; dead ones within it still hold their place.
        var paced = ReplacementPacing.Pace(
            [.. servers.Where(s => s.State == ServerStatus.Unhealthy && Since(s, now) >= target.RecoveryDelay)], servers, target.MaxReplacing);
        var terminate = paced.Now
            .Select(s => new TierTermination(s.Name, $"replacing an unhealthy server: {s.Message}", TerminationCause.Replacement))
            .ToList();
        var holding = servers.Count(s => s.State == ServerStatus.Failed && Since(s, now) < target.RecoveryDelay);
        var live = servers
            .Where(s => s.State is not (ServerStatus.Terminating or ServerStatus.Terminated or ServerStatus.Failed))
            .Where(s => !terminate.Any(t => t.Server == s.Name))
            .ToList();
        // Rotation: the oldest server past its maximum age is treated like one of an old launch, so it is replaced
        // with the same surge, health gate and bake, one at a time.
        var expired = live.Where(s => IsExpired(s, target, now)).OrderBy(s => s.LaunchedAt).Take(1).Select(s => s.Name).ToHashSet();
        expired.UnionWith(live.Where(s => target.Moving.ContainsKey(s.Name)).Select(s => s.Name));
        var current = live.Where(s => IsCurrent(s, target) && !expired.Contains(s.Name)).ToList();
        var outdated = live.Where(s => !IsCurrent(s, target) || expired.Contains(s.Name)).ToList();

        if (outdated.Count == 0)
        {
            foreach (var extra in ScaleInOrder(current).Take(Math.Max(0, current.Count - target.Desired)))
            {
                terminate.Add(new(extra.Name, $"scaling in to {target.Desired}", TerminationCause.Removal));
            }
        }
        else
        {
            terminate.AddRange(RollingTerminations(target, current, outdated, now));
        }

        var pinned = target.InPlace
            ? outdated.Where(s => s.State == ServerStatus.InService && target.Pinned.ContainsKey(s.Name)).Select(s => $"{s.Name} ({target.Pinned[s.Name]})").ToList()
            : [];
        var surge = Surge(target);
        var wanted = Math.Max(0, Math.Min(target.Desired, target.MaxNew ?? int.MaxValue) - current.Count - holding);
        var room = Math.Max(0, target.Desired + surge - (live.Count - terminate.Count(t => live.Any(s => s.Name == t.Server))));
        var launch = launchAllowed ? Math.Min(wanted, room) : 0;
        var waiting = !launchAllowed && wanted > 0 ? "waiting before launching again after failures" : null;
        return new TierActions(launch, terminate, waiting)
        {
            HeldBack = paced.HeldBack,
            Pinned = pinned.Count == 0 ? null : $"the update does not replace {string.Join(", ", pinned)} until its replacement can start with its volumes",
        };
    }

    private static IEnumerable<TierTermination> RollingTerminations(TierTarget target, List<ServerState> current, List<ServerState> outdated, DateTimeOffset now)
    {
        var unavailable = Unavailable(target);

        // Old servers go once enough new ones serve: in service new + in service old - removed >= desired - unavailable.
        // A new server counts only once it has baked (stayed in service for the bake time) without failing.
        var baked = current.Count(s => s.State == ServerStatus.InService && (s.StateSince is not { } since || now - since >= target.Update.Bake));
        var serving = baked + outdated.Count(s => s.State == ServerStatus.InService);
        var removable = serving - (target.Desired - unavailable);
        if (target.MaxNew is { } cap && current.Count >= cap)
        {
            // A canary waits for promotion: nothing replaces the old servers it leaves, which keep the tier at full
            // strength meanwhile, whatever an update in progress may leave unavailable.
            removable = Math.Min(removable, serving - target.Desired);
        }

        foreach (var server in ScaleInOrder(outdated))
        {
            if (target.InPlace && target.Pinned.ContainsKey(server.Name) && server.State == ServerStatus.InService)
            {
                // Stopping it would take its volumes' only place: it serves until a replacement can start there.
                continue;
            }

            if (target.InPlace && !target.KeepsVolumes && target.Moving.ContainsKey(server.Name) && server.State == ServerStatus.InService)
            {
                // Its place is on a host that takes no new server: replacing it in place would only stop it. It moves
                // with a surge once no other old server is left, or says why it cannot.
                continue;
            }

            var notServing = server.State != ServerStatus.InService;
            if (notServing || removable > 0)
            {
                removable -= notServing ? 0 : 1;
                yield return new TierTermination(server.Name, WhyReplaced(server, target), TerminationCause.Replacement);
            }
        }
    }

    private static string WhyReplaced(ServerState server, TierTarget target) => server switch
    {
        _ when target.Moving.TryGetValue(server.Name, out var why) => target.KeepsVolumes
            ? $"moved elsewhere ({why}): it stops first, and its replacement starts on another host with its volumes"
            : $"moved elsewhere ({why}); its replacement serves",
        _ when IsCurrent(server, target) => "replaced for being older than the tier's maxAge",
        _ => "replaced by a server with the new image or launch settings",
    };

    private static TimeSpan Since(ServerState server, DateTimeOffset now) =>
        server.StateSince is { } since ? now - since : TimeSpan.MaxValue;

    /// <summary>The extra servers an update may launch above desired; at least one when none may be unavailable.</summary>
    private static int Surge(TierTarget target) => target.InPlace ? 0 : SurgeOf(target with { InPlace = false });

    /// <summary>The extra servers an update of the tier launches above desired when it does not replace in place.</summary>
    public static int SurgeOf(TierTarget target)
    {
        var surge = target.Update.MaxSurge.Resolve(target.Desired);
        return surge == 0 && target.Update.MaxUnavailable.Resolve(target.Desired) == 0 ? 1 : surge;
    }

    private static int Unavailable(TierTarget target) =>
        Math.Max(target.InPlace ? 1 : 0, target.Update.MaxUnavailable.Resolve(target.Desired));

    /// <summary>Whether an in-service server is past the tier's <c>maxAge</c>: it is due for rotation.</summary>
    public static bool IsExpired(ServerState server, TierTarget target, DateTimeOffset now) =>
        target.MaxAge is { } maxAge && server.State == ServerStatus.InService && now - server.LaunchedAt >= maxAge;

    /// <summary>
    /// Whether a server runs the target launch. Values from other tiers are resolved when a server launches, so a
    /// server not launched yet is current whatever they are.
    /// </summary>
    public static bool IsCurrent(ServerState server, TierTarget target) =>
        server.ImageDigest == target.ImageDigest && server.LaunchDigest == target.LaunchDigest
        && (server.ReferenceDigest == target.ReferenceDigest || server.State is ServerStatus.Pending or ServerStatus.Configuring);

    /// <summary>Unhealthy servers go first, then servers not yet in service, then the oldest.</summary>
    public static IEnumerable<ServerState> ScaleInOrder(IEnumerable<ServerState> servers) =>
        servers.OrderBy(s => s.State switch
        {
            ServerStatus.Unhealthy => 0,
            ServerStatus.Pending or ServerStatus.Configuring or ServerStatus.Booting => 1,
            _ => 2,
        }).ThenBy(s => s.LaunchedAt).ThenBy(s => s.Name, StringComparer.Ordinal);
}
