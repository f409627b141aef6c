using Microsoft.Extensions.Logging;
using Strata.Api.Contracts.Events;
using Strata.Common.Text;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Hosts;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Planning.Tiers;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Drills;

/// <summary>
/// The loss of a region, rehearsed for real without touching the deployment: a scratch copy of it is started on hosts
/// outside the region (each tier's minimum, at least one server), in dependency order with references resolved
/// against the scratch servers, its volumes filled from the newest snapshots in the disaster-recovery store alone
/// (the primary may be lost with the region), and its load balancers started outside the region too. The drill passes
/// once every scratch server is healthy and every load balancer serves; it reports the recovery time (start to
/// serving) and the recovery point (how old the restored data is), and tears the copy down whatever happened.
/// </summary>
public sealed partial class RegionDrill(
    ICloudProvider provider,
    IHostInventory inventory,
    IVolumeBackups volumeBackups,
    BackupStores stores,
    RegionDrillServers servers,
    RegionDrillLoadBalancers loadBalancers,
    RegionDrillJournal journal,
    DeploymentRegistry registry,
    EventLog events,
    TimeProvider time,
    ILogger<RegionDrill> logger)
{
    // One at a time: a drill's scratch copy takes room on the hosts that the deployments themselves may need.
    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly SemaphoreSlim _sweeping = new(1, 1);

    /// <summary>Whether a region drill is under way.</summary>
    public bool IsRunning => _running.CurrentCount == 0;

    /// <summary>The hosts, once the region is known to be one of theirs.</summary>
    /// <exception cref="ArgumentException">
    /// No host is registered, none is in <paramref name="region"/>, or a deployment has the scratch copy's name.
    /// </exception>
    public async Task<IReadOnlyList<HostRecord>> CheckAsync(DeploymentRuntime runtime, string region, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        if (registry.Find(RegionDrillScratch.NameOf(runtime.Name)) is not null)
        {
            throw new ArgumentException($"a deployment is named {RegionDrillScratch.NameOf(runtime.Name)}, the name of {runtime.Name}'s scratch copy in a region drill: rename it to drill {runtime.Name}");
        }

        var hosts = await inventory.ListAsync(ct).ConfigureAwait(false);
        if (hosts.Count == 0)
        {
            throw new ArgumentException("no hosts are registered: a region drill starts a copy of the deployment on hosts outside the region (strata host add NAME --ssh … --region R)");
        }

        var regions = hosts.Select(h => h.Registration.Region).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return regions.Contains(region)
            ? hosts
            : throw new ArgumentException(regions.Count == 0
                ? $"no host is in region '{region}': no host has a region (strata host add … --region R)"
                : $"no host is in region '{region}'; the hosts' regions are {string.Join(", ", regions)}");
    }

    /// <summary>Runs the drill, telling each step to <paramref name="progress"/>; the outcome is recorded as an event.</summary>
    /// <exception cref="ArgumentException">See <see cref="CheckAsync"/>.</exception>
    /// <exception cref="ConflictException">Another region drill is under way.</exception>
    public async Task<RegionDrillOutcome> RunAsync(DeploymentRuntime runtime, string region, Func<string, Task> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(progress);
        var hosts = await CheckAsync(runtime, region, ct).ConfigureAwait(false);
        if (!await _running.WaitAsync(0, ct).ConfigureAwait(false))
        {
            throw new ConflictException("a region drill is under way; one runs at a time");
        }

        try
        {
            // Room on the hosts first: what an interrupted drill left there would count against this one.
            await SweepAsync(ct).ConfigureAwait(false);
            var scratch = RegionDrillScratch.Begin(provider, journal, loadBalancers.DriverOf, runtime.Name);
            var outcome = await DrillAsync(runtime, region, hosts, scratch, progress, ct).ConfigureAwait(false);
            await RecordAsync(runtime, outcome).ConfigureAwait(false);

            // A drill cut short is recorded as failed, with what was torn down; whoever cancelled it hears so.
            if (!outcome.Passed)
            {
                ct.ThrowIfCancellationRequested();
            }

            return outcome;
        }
        finally
        {
            _running.Release();
        }
    }

    /// <summary>
    /// Tears down what drills interrupted by a stop of the control plane left, as the journal has it; never fails.
    /// Returns how many drills' leftovers were removed entirely.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        await _sweeping.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var removed = 0;
            foreach (var record in journal.Leftovers())
            {
                var left = await RegionDrillScratch.Resume(provider, journal, loadBalancers.DriverOf, record).TearDownAsync().ConfigureAwait(false);
                removed += left.Count == 0 ? 1 : 0;
            }

            return removed;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogSweepFailed(logger, ex);
            return 0;
        }
        finally
        {
            _sweeping.Release();
        }
    }

    private async Task<RegionDrillOutcome> DrillAsync(
        DeploymentRuntime runtime, string region, IReadOnlyList<HostRecord> hosts, RegionDrillScratch scratch, Func<string, Task> progress, CancellationToken ct)
    {
        var startedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        var run = new RegionDrillRun(runtime, region, hosts, scratch, step => TellAsync(progress, step));
        string? failure = null;
        IReadOnlyList<string> left = [];
        try
        {
            var sources = await SourcesAsync(runtime, region, ct).ConfigureAwait(false);
            await run.Progress($"starting a scratch copy of {runtime.Name} outside region {region}, as {scratch.Deployment}").ConfigureAwait(false);
            var tiers = TierOrder.Of(runtime.Desired.Spec).Where(t => ServersFor(runtime, t) > 0).ToList();
            var balancers = await loadBalancers.StartAsync(run, tiers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal), ct).ConfigureAwait(false);
            foreach (var tier in tiers)
            {
                await servers.StartTierAsync(run, tier, ServersFor(runtime, tier), sources, ct).ConfigureAwait(false);
            }

            await loadBalancers.ServeAsync(run, balancers, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ct.IsCancellationRequested && (ex is OperationCanceledException || IsFailure(ex)))
        {
            // Cut short: what failed then failed because of it.
            failure = $"cancelled after {time.GetElapsedTime(started).TotalSeconds:0.0}s, before it finished: whoever asked for it went away, or the control plane is stopping";
        }
        catch (Exception ex) when (IsFailure(ex))
        {
            LogDrillFailed(logger, ex, runtime.Name, region);
            failure = ex.Message;
        }
        finally
        {
            await TellAsync(progress, $"tearing down {scratch.Deployment}").ConfigureAwait(false);
            left = await scratch.TearDownAsync().ConfigureAwait(false);
        }

        var outcome = Outcome(run, failure, failure is null ? run.ServedAfter(started, time) : null, startedAt);
        return left.Count == 0
            ? outcome
            : outcome with { Message = $"{outcome.Message}; not torn down yet, tried again every ten minutes: {string.Join("; ", left)}" };
    }

    private static bool IsFailure(Exception ex) =>
        ex is RegionDrillFailedException or InvalidOperationException or ProviderException or IOException or ArgumentException
            or System.ComponentModel.Win32Exception || BackupRunner.IsBackupFailure(ex);

    /// <summary>Tells a step if whoever asked is still there: the teardown goes on whether or not it can be told.</summary>
    private static async Task TellAsync(Func<string, Task> progress, string step)
    {
        try
        {
            await progress(step).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The request went away (a Ctrl-C of the CLI): nothing to tell it any more.
        }
    }

    /// <summary>
    /// Each tier's minimum count, at least one server: enough to prove the tier comes back without taking from the
    /// hosts what the deployment itself may need. A tier scaled to no servers stays at none.
    /// </summary>
    private static int ServersFor(DeploymentRuntime runtime, TierSpec tier) =>
        (runtime.State.FindTier(tier.Name)?.Count ?? new TierCount(tier.Servers.Min, tier.Servers.Max, tier.Servers.Desired)) is var count && count.Desired == 0
            ? 0
            : Math.Max(1, count.Min);

    /// <summary>
    /// The snapshot each volume starts from, by tier and volume: the newest copy in the disaster-recovery store of a
    /// volume with a snapshot policy (null for one without, which starts empty as it would). Every volume that cannot
    /// come back is said at once.
    /// </summary>
    private async Task<Dictionary<(string Tier, string Volume), RecoveredSnapshot?>> SourcesAsync(DeploymentRuntime runtime, string region, CancellationToken ct)
    {
        var sources = new Dictionary<(string, string), RecoveredSnapshot?>();
        var problems = new List<string>();
        foreach (var tier in runtime.Desired.Spec.Tiers.Where(t => ServersFor(runtime, t) > 0))
        {
            if (await WaitingVolumeAsync(runtime, tier, region, ct).ConfigureAwait(false) is { } waiting)
            {
                problems.Add(waiting);
            }

            if (tier.Placement?.Regions is { Count: > 0 } allowed && allowed.All(r => r == region))
            {
                problems.Add($"tier {tier.Name} may run only in region {region} (placement.regions): it cannot come back elsewhere");
            }

            foreach (var volume in tier.Volumes)
            {
                sources[(tier.Name, volume.Name)] = await SourceAsync(runtime, tier, volume, region, problems, ct).ConfigureAwait(false);
            }
        }

        return problems.Count == 0 ? sources : throw new RegionDrillFailedException(string.Join("; ", problems));
    }

    /// <summary>
    /// Why a tier that waits for its volumes (<c>volumeRecovery: wait</c>, the default) would not come back: one of its
    /// volumes is on a host of the region, and would be waited for; null when none is.
    /// </summary>
    private async Task<string?> WaitingVolumeAsync(DeploymentRuntime runtime, TierSpec tier, string region, CancellationToken ct)
    {
        if (tier.VolumeRecovery != VolumeRecovery.Wait || provider is not IRemoteVolumes remote)
        {
            return null;
        }

        foreach (var volume in runtime.State.Volumes.Where(v => v.Tier == tier.Name))
        {
            var host = await remote.HostOfAsync(volume.Name, ct).ConfigureAwait(false);
            if (host is not null && (await inventory.FindAsync(host, ct).ConfigureAwait(false))?.Registration.Region == region)
            {
                return $"tier {tier.Name} would wait for its volume {volume.Name} on host {host} in region {region} (volumeRecovery: wait): "
                    + "with volumeRecovery: restoreLatest it comes back elsewhere from the newest snapshot";
            }
        }

        return null;
    }

    private async Task<RecoveredSnapshot?> SourceAsync(DeploymentRuntime runtime, TierSpec tier, VolumeSpec volume, string region, List<string> problems, CancellationToken ct)
    {
        if (BackupPolicies.SnapshotPolicy(runtime, tier.Name, volume.Name) is null)
        {
            return null;
        }

        if (stores.DisasterRecovery(runtime) is null)
        {
            problems.Add($"volume {volume.Name} of tier {tier.Name} would be lost with region {region}: the deployment has no disasterRecovery store to restore it from (storage.disasterRecovery)");
            return null;
        }

        var copy = await volumeBackups.FindNewestCopyAsync(runtime, tier.Name, volume.Name, ct).ConfigureAwait(false);
        if (copy is null)
        {
            problems.Add($"the disasterRecovery store holds no snapshot of volume {volume.Name} of tier {tier.Name}: take one (strata backup run {runtime.Name} --tier {tier.Name}) and let it be copied");
        }

        return copy;
    }

    private RegionDrillOutcome Outcome(RegionDrillRun run, string? failure, TimeSpan? recoveryTime, DateTimeOffset startedAt)
    {
        var oldest = run.Volumes.Where(v => v.TakenAt is not null).MinBy(v => v.TakenAt);
        var recoveryPoint = oldest is null ? (TimeSpan?)null : startedAt - oldest.TakenAt!.Value;
        var message = failure ?? Passed(run, recoveryTime!.Value, recoveryPoint, oldest);
        return new RegionDrillOutcome(run.Region, failure is null, message, recoveryTime, recoveryPoint, [.. run.Servers], [.. run.Volumes], [.. run.LoadBalancers]);
    }

    private static string Passed(RegionDrillRun run, TimeSpan recoveryTime, TimeSpan? recoveryPoint, RegionDrillVolume? oldest)
    {
        var hosts = run.Servers.Select(s => s.Host).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var data = oldest is null
            ? "no volume data to restore"
            : $"recovery point {Ages.Of(recoveryPoint!.Value)} (snapshot {oldest.Snapshot} of volume {oldest.Volume} of tier {oldest.Tier})";
        var served = run.LoadBalancers.Count == 0 ? "" : $"; {string.Join(", ", run.LoadBalancers.Select(l => $"{l.Name} answered HTTP {l.StatusCode}"))}";
        return $"{run.Runtime.Name} came back outside region {run.Region} in {recoveryTime.TotalSeconds:0.0}s (recovery time): "
            + $"{run.Servers.Count} server{(run.Servers.Count == 1 ? "" : "s")} on {string.Join(", ", hosts)}, {data}{served}";
    }

    private async Task RecordAsync(DeploymentRuntime runtime, RegionDrillOutcome outcome) =>
        await events.PublishAsync(
            runtime.Name, outcome.Passed ? EventKinds.RegionDrillPassed : EventKinds.RegionDrillFailed,
            $"region drill of {outcome.Region}: {(outcome.Passed ? "" : "FAILED: ")}{outcome.Message}", $"regions.{outcome.Region}",
            outcome.Passed ? EventSeverity.Info : EventSeverity.Error, CancellationToken.None).ConfigureAwait(false);

    [LoggerMessage(EventId = 450, Level = LogLevel.Warning, Message = "Region drill of {Deployment} losing {Region} failed")]
    private static partial void LogDrillFailed(ILogger logger, Exception exception, string deployment, string region);

    [LoggerMessage(EventId = 453, Level = LogLevel.Warning, Message = "What an interrupted region drill left could not be read; tried again later")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}

/// <summary>Why a region drill cannot pass, found before or while it starts its copy.</summary>
public sealed class RegionDrillFailedException(string message) : Exception(message);
