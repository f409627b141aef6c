using Microsoft.Extensions.Options;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Reconciliation;
using Strata.LoadBalancing;
using Strata.Providers;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Drills;

/// <summary>
/// A region drill's scratch load balancers: one per load balancer of the deployment, with its settings and driver,
/// listening on a port the system picks (the deployment's own keeps its port): on the control plane's machine for one
/// without placement, else on a host its placement allows outside the region. They start before the tiers, so that a
/// server's <c>${loadBalancers.…}</c> names the copy; each then gets the scratch servers of its tier, and passes once
/// a request through it gets an answer that is not a 5xx.
/// </summary>
public sealed class RegionDrillLoadBalancers(
    ILoadBalancerDriverRegistry drivers, ILoadBalancerHosts hosts, IOptions<BackupOptions> options, TimeProvider time)
{
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Starts a scratch copy of each load balancer whose tier gets servers, before any tier: the servers' references
    /// to a load balancer then name its copy, where it listens, and never the deployment's own.
    /// </summary>
    internal async Task<IReadOnlyList<Started>> StartAsync(RegionDrillRun run, IReadOnlySet<string> tiers, CancellationToken ct)
    {
        var started = new List<Started>();
        foreach (var lb in run.Runtime.Desired.Spec.LoadBalancers.Where(l => tiers.Contains(l.TargetTier)))
        {
            await run.Progress($"load balancer {lb.Name}: starting outside region {run.Region}").ConfigureAwait(false);
            var (driver, host, address) = await PlaceAsync(run, lb, ct).ConfigureAwait(false);
            var id = run.Scratch.NameFor(lb.Name);
            run.Scratch.LoadBalancer(new ScratchLoadBalancer(lb.Driver, host, id));
            var definition = LoadBalancerCoordinator.DefinitionOf(run.Runtime.Desired.Spec, lb, id, run.Scratch.Deployment, address, 0, null);
            var instance = await driver.EnsureRunningAsync(definition, ct).ConfigureAwait(false);
            if (instance is not { State: LoadBalancerInstanceState.Running, Url: { } url })
            {
                throw new RegionDrillFailedException($"load balancer {lb.Name} did not start outside region {run.Region}: {instance.Message ?? instance.State.ToString()}");
            }

            run.Listening(lb.Name, new LoadBalancerListener(address, new Uri(url).Port));
            started.Add(new Started(lb, driver, instance, host, url));
        }

        return started;
    }

    /// <summary>Gives each scratch load balancer the scratch servers of its tier and waits until a request through it is answered.</summary>
    internal async Task ServeAsync(RegionDrillRun run, IReadOnlyList<Started> started, CancellationToken ct)
    {
        foreach (var (lb, driver, instance, host, url) in started)
        {
            var members = run.ServersOf(lb.TargetTier).Select(s => new Member { Name = s.Name, Address = s.Address!, Port = lb.TargetPort }).ToList();
            await driver.SetMembersAsync(instance, members, ct).ConfigureAwait(false);
            var status = await WaitServingAsync(run, lb, url, ct).ConfigureAwait(false);
            run.LoadBalancers.Add(new RegionDrillLoadBalancer(lb.Name, url, host, status));
            await run.Progress($"load balancer {lb.Name}: serving at {url} on {(host is null ? "the control plane's machine" : $"host {host}")} "
                + $"with {members.Count} server{(members.Count == 1 ? "" : "s")}: HTTP {status}").ConfigureAwait(false);
        }

        run.Serving(time.GetTimestamp());
    }

    /// <summary>A scratch load balancer that runs, still without members.</summary>
    internal sealed record Started(LoadBalancerSpec Spec, ILoadBalancerDriver Driver, LoadBalancerInstance Instance, string? Host, string Url);

    /// <summary>The driver to run the scratch copy of <paramref name="lb"/> under, the host it runs on (null: this machine) and the address it listens on.</summary>
    private async Task<(ILoadBalancerDriver Driver, string? Host, string Address)> PlaceAsync(RegionDrillRun run, LoadBalancerSpec lb, CancellationToken ct)
    {
        if (lb.Placement is not { } placement)
        {
            return (drivers.Get(lb.Driver), null, lb.ListenHost);
        }

        var rules = new PlacementRules { Zones = placement.Zones, Regions = placement.Regions, Labels = placement.Labels, OutsideRegions = [run.Region] };
        var (host, shortage) = await hosts.PlaceScratchAsync(run.Scratch.Deployment, lb.Name, rules, ct).ConfigureAwait(false);
        if (host is null)
        {
            throw new RegionDrillFailedException($"load balancer {lb.Name} cannot come back outside region {run.Region}: {shortage}");
        }

        var driver = hosts.DriverOn(host.Name, lb.Driver, out var why)
            ?? throw new RegionDrillFailedException($"load balancer {lb.Name} cannot come back outside region {run.Region}: {why}");
        return (driver, host.Name, host.Address);
    }

    /// <summary>
    /// Asks through the load balancer until it answers with a status below 500, within the health timeout: its own
    /// check's path, else its tier's, else <c>/</c>.
    /// </summary>
    private async Task<int> WaitServingAsync(RegionDrillRun run, LoadBalancerSpec lb, string url, CancellationToken ct)
    {
        var path = PathOf(lb.Health) ?? PathOf(run.Runtime.Desired.Spec.FindTier(lb.TargetTier)?.Health) ?? "/";
        var target = new Uri(new Uri(url), path);
        using var client = Client();
        var deadline = time.GetUtcNow() + options.Value.HealthTimeout;
        var last = "no answer yet";
        while (time.GetUtcNow() < deadline)
        {
            try
            {
                using var response = await client.GetAsync(target, ct).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status < 500)
                {
                    return status;
                }

                last = $"HTTP {status}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                last = $"no answer within {s_requestTimeout.TotalSeconds:0}s";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), time, ct).ConfigureAwait(false);
        }

        throw new RegionDrillFailedException($"load balancer {lb.Name} did not serve at {target} within {options.Value.HealthTimeout}: {last}");
    }

    /// <summary>The driver a scratch load balancer runs under, or why it cannot be reached now.</summary>
    internal (ILoadBalancerDriver? Driver, string? Why) DriverOf(ScratchLoadBalancer lb)
    {
        if (lb.Host is null)
        {
            return (drivers.Get(lb.Driver), null);
        }

        var driver = hosts.DriverOn(lb.Host, lb.Driver, out var why);
        return (driver, why);
    }

    private static string? PathOf(HealthCheckSpec? check) => check is { Kind: HealthCheckKind.Http, Path: { } path } ? path : null;

    private static HttpClient Client()
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = s_requestTimeout };

        // The scratch load balancer is reached by its address, which its certificate (made for the deployment's own
        // name) does not name: the drill proves that it serves, not who it is.
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        return new HttpClient(handler) { Timeout = s_requestTimeout };
    }
}
