using System.Collections.Concurrent;
using System.Collections.Immutable;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.Planning;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>Whether a tier's new servers fit where they would run, asked before any of them is launched so a tier never half-starts.</summary>
public interface ITierCapacity
{
    /// <summary>
    /// Why <paramref name="count"/> more servers of <paramref name="tier"/> cannot all be placed now (starting
    /// <c>no capacity:</c>), or null when they can. The places of the <paramref name="leaving"/> servers (of the tier,
    /// stopping or about to) count as free.
    /// </summary>
    Task<string?> ShortageAsync(string deployment, TierSpec tier, int count, IReadOnlySet<string> leaving, CancellationToken ct);

    /// <summary>
    /// The hosts up to <paramref name="count"/> new servers of the tier would go to now, in order (fewer when not all
    /// fit), for the plan; null when servers are not placed on hosts.
    /// </summary>
    Task<IReadOnlyList<PlannedHost>?> PreviewAsync(string deployment, TierSpec tier, int count, CancellationToken ct);

    /// <summary>Why the server must move off where it runs (e.g. "host h2 is draining"), or null when it may stay.</summary>
    string? WhyMoving(string serverId);

    /// <summary>
    /// Why the server, which keeps volumes where it runs, could not be started again there now (e.g. "its volumes are
    /// on host h2, which is draining"), or null when it could: its volumes go only to its replacement.
    /// </summary>
    string? WhyPinned(string serverId) => null;

    /// <summary>
    /// The processor cores the servers launched now boot on: those of the ready hosts they are placed on, or null for
    /// this machine's (see <see cref="LaunchPacer"/>).
    /// </summary>
    int? BootCores => null;

    /// <summary>
    /// Whether new servers are placed on hosts, which decide their zone: a server not yet placed has none (an empty
    /// zone), not one of this machine's.
    /// </summary>
    bool PlacesOnHosts => false;
}

/// <summary>The control plane's machine alone: servers are limited by the provider's own resources, not by placement.</summary>
internal sealed class UnlimitedCapacity : ITierCapacity
{
    public Task<string?> ShortageAsync(string deployment, TierSpec tier, int count, IReadOnlySet<string> leaving, CancellationToken ct) => Task.FromResult<string?>(null);

    public Task<IReadOnlyList<PlannedHost>?> PreviewAsync(string deployment, TierSpec tier, int count, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<PlannedHost>?>(null);

    public string? WhyMoving(string serverId) => null;
}

/// <summary>
/// Lets a tier's new servers start only when all of them fit (<see cref="ITierCapacity"/>); otherwise none starts and
/// the tier's message says why. A <c>tier.no-capacity</c> event is published when a shortage starts or its reason
/// changes, and a <c>tier.capacity-resolved</c> event when it ends: the servers fit, or a whole pass went by without
/// the tier asking for any (scaled in, its tier or deployment changed). A pass is bracketed by <see cref="BeginPass"/>
/// (<see cref="ServerObservation"/>) and <see cref="EndPassAsync"/> (<see cref="TierReconciler"/>).
/// </summary>
public sealed class TierCapacityGate(ITierCapacity capacity, ICloudProvider provider, Backups.IVolumeBackups volumeBackups, EventLog events)
{
    // The shortage last reported per deployment and tier, so that a tier waiting for capacity is reported once, and
    // the tiers that asked in the current pass of each deployment (passes of one deployment never overlap).
    private readonly ConcurrentDictionary<(string Deployment, string Tier), string> _reported = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> _asked = new();

    // Tiers whose update replaces in place, with the update (image, launch and reference digests) reported for.
    private readonly ConcurrentDictionary<(string Deployment, string Tier), string> _inPlace = new();
    private static readonly IReadOnlySet<string> s_none = ImmutableHashSet<string>.Empty;

    /// <summary>A reconcile pass of the deployment starts: no tier has asked for capacity in it yet.</summary>
    public void BeginPass(string deployment) => _asked[deployment] = new(StringComparer.Ordinal);

    /// <summary>Whether new servers are placed on hosts (see <see cref="ITierCapacity.PlacesOnHosts"/>).</summary>
    public bool PlacesOnHosts => capacity.PlacesOnHosts;

    /// <summary>The tier's live servers that must move off where they run, with why (see <see cref="ITierCapacity.WhyMoving"/>).</summary>
    public IReadOnlyDictionary<string, string> MovingOf(TierState tier) =>
        tier.LiveServers.Select(s => (s.Name, Why: capacity.WhyMoving(s.Name))).Where(s => s.Why is not null).ToDictionary(s => s.Name, s => s.Why!, StringComparer.Ordinal);

    /// <summary>The tier's live servers whose replacement could not start where their volumes are now, with why (see <see cref="ITierCapacity.WhyPinned"/>).</summary>
    public IReadOnlyDictionary<string, string> PinnedOf(TierState tier) =>
        tier.LiveServers.Select(s => (s.Name, Why: capacity.WhyPinned(s.Name))).Where(s => s.Why is not null).ToDictionary(s => s.Name, s => s.Why!, StringComparer.Ordinal);

    public Task<bool> AllowAsync(DeploymentRuntime runtime, TierSpec tier, int count, CancellationToken ct) =>
        AllowAsync(runtime, tier, count, ImmutableDictionary<string, string>.Empty, ct);

    /// <param name="runtime">The tier's deployment.</param>
    /// <param name="tier">The tier whose servers would start.</param>
    /// <param name="count">How many.</param>
    /// <param name="moving">Servers of the tier these new ones would replace because they must move (<see cref="MovingOf"/>):
    /// a shortage then says that they stay where they are.</param>
    /// <param name="ct">Cancels the check.</param>
    public async Task<bool> AllowAsync(DeploymentRuntime runtime, TierSpec tier, int count, IReadOnlyDictionary<string, string> moving, CancellationToken ct)
    {
        _asked.GetOrAdd(runtime.Name, _ => new(StringComparer.Ordinal))[tier.Name] = true;
        var (asked, unrecoverable) = await AsPlacedAsync(runtime, tier, ct).ConfigureAwait(false);
        if (await capacity.ShortageAsync(runtime.Name, asked, count, s_none, ct).ConfigureAwait(false) is not { } shortage)
        {
            await ResolveAsync(runtime, tier.Name, count == 1 ? "its new server fits now" : $"its {count} new servers fit now", ct).ConfigureAwait(false);
            return true;
        }

        if (Leaving(runtime, tier.Name) is { Count: > 0 } leaving
            && await capacity.ShortageAsync(runtime.Name, asked, count, leaving, ct).ConfigureAwait(false) is null)
        {
            // The new servers take the places of servers of the tier that are stopping (an update in place): a wait
            // of seconds, not a shortage to report.
            runtime.SetWaiting(tier.Name, $"waiting for {string.Join(", ", leaving.Order(StringComparer.Ordinal))} to stop: "
                + $"{(count == 1 ? "the new server takes" : "the new servers take")} {(leaving.Count == 1 ? "its place" : "their places")}");
            return false;
        }

        if (unrecoverable.FirstOrDefault(u => shortage.Contains($"volume {u.VolumeId} is on host", StringComparison.Ordinal)) is { Reason: { } why })
        {
            shortage = $"{shortage}; {why}";
        }

        await ReportAsync(runtime, tier.Name, count, moving, shortage, ct).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// For a tier whose servers keep volumes: those of its servers that must move (<see cref="MovingOf"/>) which no
    /// other host could take now, each with why. Such a server stops before its replacement starts elsewhere with its
    /// volumes, so none is stopped unless all of them fit; otherwise they keep running where they are, and the shortage
    /// is reported as a launch's is (a <c>host.drain</c> event, the tier's message, the drain's progress).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> UnmovableAsync(
        DeploymentRuntime runtime, TierSpec tier, IReadOnlyDictionary<string, string> moving, CancellationToken ct)
    {
        if (moving.Count == 0)
        {
            return ImmutableDictionary<string, string>.Empty;
        }

        _asked.GetOrAdd(runtime.Name, _ => new(StringComparer.Ordinal))[tier.Name] = true;
        var (asked, _) = await AsPlacedAsync(runtime, tier, ct).ConfigureAwait(false);
        // Their replacements start with those the tier lacks already, and a launch starts all of them or none.
        var count = moving.Count + (runtime.State.FindTier(tier.Name)?.Lacking() ?? 0);
        if (await capacity.ShortageAsync(runtime.Name, asked, count, s_none, ct).ConfigureAwait(false) is not { } shortage)
        {
            await ResolveAsync(runtime, tier.Name, $"{Describe(moving)} can move with {(moving.Count == 1 ? "its" : "their")} volumes now", ct).ConfigureAwait(false);
            return ImmutableDictionary<string, string>.Empty;
        }

        await ReportAsync(runtime, tier.Name, count, moving, shortage, ct).ConfigureAwait(false);
        return moving.ToDictionary(m => m.Key, m => $"{m.Value}, and no other host can take it with its volumes: {shortage}", StringComparer.Ordinal);
    }

    /// <summary>Sets the tier's message to the shortage, and publishes it when it starts or its reason changes.</summary>
    private async Task ReportAsync(DeploymentRuntime runtime, string tier, int count, IReadOnlyDictionary<string, string> moving, string shortage, CancellationToken ct)
    {
        runtime.SetWaiting(tier, shortage);
        if (_reported.TryGetValue((runtime.Name, tier), out var reported) && reported == shortage)
        {
            return;
        }

        _reported[(runtime.Name, tier)] = shortage;
        var (kind, message) = moving.Count == 0
            ? (EventKinds.TierNoCapacity, $"tier {tier}: {shortage}; {(count == 1 ? "its new server starts once it fits" : $"none of its {count} new servers starts until all fit")}")
            : (EventKinds.HostDrain, $"tier {tier} cannot move {Describe(moving)} elsewhere: {shortage}; "
                + $"{(moving.Count == 1 ? "it keeps" : "they keep")} running where {(moving.Count == 1 ? "it is" : "they are")} until a host can take {(moving.Count == 1 ? "it" : "them")}");
        await events.PublishAsync(runtime.Name, kind, message, EventSubject.OfTier(tier), EventSeverity.Warning, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The tier as placement is to see it. One that restores volumes lost with their host from the newest snapshot
    /// (<c>volumeRecovery: restoreLatest</c>) but cannot for a free volume on a lost host (no snapshot of it, or no
    /// store that answers) waits for the host as one that says <c>wait</c> does, rather than failing launch after
    /// launch; each such volume is given with why, for the shortage that names it. Stores are read only while the
    /// tier has a free volume on a lost host.
    /// </summary>
    private async Task<(TierSpec Tier, List<(string VolumeId, string Reason)> Unrecoverable)> AsPlacedAsync(DeploymentRuntime runtime, TierSpec tier, CancellationToken ct)
    {
        var unrecoverable = new List<(string VolumeId, string Reason)>();
        if (tier.VolumeRecovery != VolumeRecovery.RestoreLatest || provider is not IRemoteVolumes remote)
        {
            return (tier, unrecoverable);
        }

        var reasons = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var free in runtime.State.Volumes.Where(v => v.Server is null && v.Tier == tier.Name).ToList())
        {
            if (await remote.LostHostOfAsync(free.Name, ct).ConfigureAwait(false) is null)
            {
                continue;
            }

            if (!reasons.TryGetValue(free.LogicalName, out var reason))
            {
                reasons[free.LogicalName] = reason = await WhyNotRecoverableAsync(runtime, tier.Name, free.LogicalName, ct).ConfigureAwait(false);
            }

            if (reason is not null)
            {
                unrecoverable.Add((free.Name, reason));
            }
        }

        return (unrecoverable.Count == 0 ? tier : tier with { VolumeRecovery = VolumeRecovery.Wait }, unrecoverable);
    }

    /// <summary>Why the volume cannot be restored from its newest snapshot now, or null when it can.</summary>
    private async Task<string?> WhyNotRecoverableAsync(DeploymentRuntime runtime, string tier, string volume, CancellationToken ct)
    {
        try
        {
            return await volumeBackups.FindNewestAsync(runtime, tier, volume, ct).ConfigureAwait(false) is null
                ? $"volumeRecovery restoreLatest finds no snapshot of volume {volume} to restore it from in the deployment's backup stores"
                : null;
        }
        catch (Exception ex) when (Backups.BackupRunner.IsBackupFailure(ex))
        {
            // A store that cannot be read (or a snapshot that cannot be) holds back this tier's recovery, not the pass.
            return $"volumeRecovery restoreLatest cannot look for a snapshot of volume {volume}: {ex.Message}";
        }
    }

    /// <summary>
    /// Whether the tier's update replaces its old servers in place: the hosts it may use have room for its desired
    /// servers but not for the update's surge beside them (every host has one of its servers on the port, or lacks
    /// the resources for one more). Without this the update would wait for capacity forever. The tier's own servers
    /// are set aside in both questions, so the answer is one of capacity, not of how far the update has got: it holds
    /// from the update's first pass to its last, and after a restart. Reported once per update.
    /// </summary>
    /// <param name="runtime">The tier's deployment.</param>
    /// <param name="tier">The tier.</param>
    /// <param name="target">What the tier updates to; <see cref="TierTarget.InPlace"/> is not looked at.</param>
    /// <param name="outdated">The tier's live servers of an old launch, those that must move elsewhere left out.</param>
    /// <param name="ct">Cancels the check.</param>
    public async Task<bool> InPlaceAsync(DeploymentRuntime runtime, TierSpec tier, TierTarget target, IReadOnlyList<string> outdated, CancellationToken ct)
    {
        var key = (runtime.Name, tier.Name);
        var surge = TierDecision.SurgeOf(target);
        var own = runtime.State.FindTier(tier.Name)?.Servers.Select(s => s.Name).ToHashSet(StringComparer.Ordinal) ?? [];
        if (outdated.Count == 0 || surge == 0
            || await capacity.ShortageAsync(runtime.Name, tier, target.Desired + surge, own, ct).ConfigureAwait(false) is not { } shortage
            || await capacity.ShortageAsync(runtime.Name, tier, target.Desired, own, ct).ConfigureAwait(false) is not null)
        {
            _inPlace.TryRemove(key, out _);
            return false;
        }

        var update = $"{target.ImageDigest}/{target.LaunchDigest}/{target.ReferenceDigest}";
        if (!_inPlace.TryGetValue(key, out var known) || known != update)
        {
            _inPlace[key] = update;
            await events.PublishAsync(runtime.Name, EventKinds.TierUpdateInPlace,
                $"tier {tier.Name}: the hosts it may use have room for its {target.Desired} servers but not for {surge} more beside them ({shortage}); "
                + "its servers are replaced in place (an update, or a rotation past maxAge): each old server leaves the load balancer and stops before its replacement starts, so the tier runs one server short meanwhile",
                EventSubject.OfTier(tier.Name), EventSeverity.Warning, ct).ConfigureAwait(false);
        }

        return true;
    }

    private static HashSet<string> Leaving(DeploymentRuntime runtime, string tier) =>
        runtime.State.FindTier(tier)?.Servers.Where(s => s.State == ServerStatus.Terminating).Select(s => s.Name).ToHashSet(StringComparer.Ordinal) ?? [];

    /// <summary>The shortage last reported for the tier while its new servers are held back, or null.</summary>
    public string? ShortageOf(string deployment, string tier) => _reported.GetValueOrDefault((deployment, tier));

    /// <summary>
    /// The pass ends: the shortage of a tier that did not ask for capacity in it is over (scaled in, or waiting for
    /// something else first); should it ask again, a shortage then is reported anew.
    /// </summary>
    public async Task EndPassAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        var asked = _asked.GetValueOrDefault(runtime.Name);
        foreach (var (_, tier) in _reported.Keys.Where(k => k.Deployment == runtime.Name && asked?.ContainsKey(k.Tier) != true).ToList())
        {
            await ResolveAsync(runtime, tier, "it is not starting new servers now", ct).ConfigureAwait(false);
        }
    }

    /// <summary>True while the tier's new servers are held back for want of capacity: its message is the shortage.</summary>
    public bool IsShort(string deployment, string tier) => ShortageOf(deployment, tier) is not null;

    private static string Describe(IReadOnlyDictionary<string, string> moving) =>
        string.Join(", ", moving.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key} ({m.Value})"));

    private async Task ResolveAsync(DeploymentRuntime runtime, string tier, string why, CancellationToken ct)
    {
        if (_reported.TryRemove((runtime.Name, tier), out _))
        {
            await events.PublishAsync(runtime.Name, EventKinds.TierCapacityResolved, $"tier {tier} no longer waits for capacity: {why}",
                EventSubject.OfTier(tier), cancellationToken: ct).ConfigureAwait(false);
        }
    }
}
