using System.Security.Cryptography;
using Strata.LoadBalancing;
using Strata.Providers;

namespace Strata.ControlPlane.Drills;

/// <summary>
/// What a region drill starts, under a deployment of its own (<c>&lt;deployment&gt;-region-drill</c>) that no
/// reconciler knows: each server, volume and load balancer is written to the <see cref="RegionDrillJournal"/> before it
/// is started, and all of it is torn down whatever happened, or left in the journal for the sweep to try again.
/// </summary>
internal sealed class RegionDrillScratch
{
    /// <summary>The suffix of every scratch deployment's name.</summary>
    public const string Suffix = "-region-drill";

    // Each step of a teardown gets this long: a host that stopped answering must not hold the drill (or the sweep) for good.
    private static readonly TimeSpan s_stepTimeout = TimeSpan.FromMinutes(2);

    private readonly ICloudProvider _provider;
    private readonly RegionDrillJournal _journal;
    private readonly Func<ScratchLoadBalancer, (ILoadBalancerDriver? Driver, string? Why)> _driverOf;
    private readonly string _owner;
    private readonly bool _live;
    private readonly Lock _lock = new();
    private RegionDrillRecord _record;

    private RegionDrillScratch(
        ICloudProvider provider, RegionDrillJournal journal, Func<ScratchLoadBalancer, (ILoadBalancerDriver?, string?)> driverOf, string owner, RegionDrillRecord record, bool live)
    {
        (_provider, _journal, _driverOf, _owner, _record, _live) = (provider, journal, driverOf, owner, record, live);
    }

    /// <summary>The scratch of a new drill of <paramref name="deployment"/>, written to the journal as under way.</summary>
    public static RegionDrillScratch Begin(
        ICloudProvider provider, RegionDrillJournal journal, Func<ScratchLoadBalancer, (ILoadBalancerDriver?, string?)> driverOf, string deployment)
    {
        var record = new RegionDrillRecord { Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)), Deployment = NameOf(deployment) };
        var scratch = new RegionDrillScratch(provider, journal, driverOf, deployment, record, live: true);
        journal.Write(record, active: true);
        return scratch;
    }

    /// <summary>
    /// What an interrupted drill left, as the journal has it, to be torn down: what it recorded alone, never what is
    /// listed under its scratch deployment, which a drill of the same deployment may be using now.
    /// </summary>
    public static RegionDrillScratch Resume(
        ICloudProvider provider, RegionDrillJournal journal, Func<ScratchLoadBalancer, (ILoadBalancerDriver?, string?)> driverOf, RegionDrillRecord record) =>
        new(provider, journal, driverOf, record.Deployment, record, live: false);

    /// <summary>The scratch deployment's name: <c>&lt;deployment&gt;-region-drill</c>.</summary>
    public string Deployment => _record.Deployment;

    public static string NameOf(string deployment) => ScratchNames.Truncate(deployment, 40) + Suffix;

    /// <summary>A new scratch name for a server or load balancer of <paramref name="logicalName"/>, e.g. <c>shop-db-rdrill-3f9a1c</c>.</summary>
    public string NameFor(string logicalName) =>
        $"{ScratchNames.Truncate(_owner, 20)}-{ScratchNames.Truncate(logicalName, 15)}-rdrill-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    public void Server(string id) => Change(r => r with { Servers = [.. r.Servers, id] });

    public void Volume(string id) => Change(r => r with { Volumes = [.. r.Volumes, id] });

    public void LoadBalancer(ScratchLoadBalancer loadBalancer) => Change(r => r with { LoadBalancers = [.. r.LoadBalancers, loadBalancer] });

    private void Change(Func<RegionDrillRecord, RegionDrillRecord> change) => Change(change, _live);

    private void Change(Func<RegionDrillRecord, RegionDrillRecord> change, bool active)
    {
        lock (_lock)
        {
            _record = change(_record);
            _journal.Write(_record, active);
        }
    }

    /// <summary>
    /// Stops the load balancers, then the servers (those recorded, and any the provider lists under the scratch
    /// deployment), then deletes the volumes; each whatever became of the others, even when the drill was cancelled.
    /// Returns what could not be removed, which stays in the journal for the sweep.
    /// </summary>
    public async Task<IReadOnlyList<string>> TearDownAsync()
    {
        var left = new List<string>();
        foreach (var lb in _record.LoadBalancers)
        {
            await RemoveAsync(left, $"load balancer {lb.Id}", r => r with { LoadBalancers = [.. r.LoadBalancers.Where(l => l != lb)] }, async token =>
            {
                var (driver, why) = _driverOf(lb);
                await (driver ?? throw new ProviderException(why ?? "its host cannot be reached")).StopAsync(lb.Id, token).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }

        // A live drill also looks under its scratch deployment: a launch cut short may have left a server its record lacks.
        var listedServers = _live ? await ListedAsync(t => _provider.ListServersAsync(Deployment, t), s => s.Id).ConfigureAwait(false) : [];
        Change(r => r with { Servers = [.. r.Servers.Union(listedServers)] });
        await Task.WhenAll(_record.Servers.Select(id => RemoveAsync(left, $"server {id}", r => r with { Servers = [.. r.Servers.Where(s => s != id)] },
            token => _provider.TerminateAsync(id, null, token)))).ConfigureAwait(false);
        var listedVolumes = _live ? await ListedAsync(t => _provider.ListVolumesAsync(Deployment, t), v => v.Id).ConfigureAwait(false) : [];
        Change(r => r with { Volumes = [.. r.Volumes.Union(listedVolumes)] });
        foreach (var id in _record.Volumes)
        {
            await RemoveAsync(left, $"volume {id}", r => r with { Volumes = [.. r.Volumes.Where(v => v != id)] }, token => _provider.DeleteVolumeAsync(id, token)).ConfigureAwait(false);
        }

        Change(r => r, active: false);
        return left;
    }

    private static async Task<IEnumerable<string>> ListedAsync<T>(Func<CancellationToken, Task<IReadOnlyList<T>>> list, Func<T, string> id)
    {
        try
        {
            using var timeout = new CancellationTokenSource(s_stepTimeout);
            return (await list(timeout.Token).ConfigureAwait(false)).Select(id);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The records alone, then: the listing is only a second look.
            return [];
        }
    }

    private async Task RemoveAsync(List<string> left, string what, Func<RegionDrillRecord, RegionDrillRecord> forget, Func<CancellationToken, Task> remove)
    {
        try
        {
            using var timeout = new CancellationTokenSource(s_stepTimeout);
            await remove(timeout.Token).ConfigureAwait(false);
            Change(forget);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever went wrong with one, the others are still removed; this one stays in the journal.
            lock (_lock)
            {
                left.Add($"{what}: {(ex is OperationCanceledException ? $"no answer within {s_stepTimeout.TotalMinutes:0} minutes" : ex.Message)}");
            }
        }
    }

}
