using Microsoft.Extensions.DependencyInjection;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.State;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

/// <summary>
/// The control plane's real backup services over a temporary home and a filesystem store, with a database tier of
/// one server in service (its folder is <see cref="ServerRoot"/>, where the backup hook runs) and an hourly service
/// backup policy.
/// </summary>
internal sealed class ServiceBackupHarness : IAsyncDisposable
{
    public const string Spec = """
        deployment: shop
        images:
          db:
            from: ./db
            run: sh run.sh
            hooks: { backup: sh backup.sh }
        tiers:
          db:
            image: db
            servers: 1
            backups:
              hourly:
                service: true
                every: 1h
        """;

    private readonly ServiceProvider _services;
    private readonly string _spec;

    /// <param name="spec">The deployment "shop" with a tier "db" of one server; <see cref="Spec"/> when not given.</param>
    public ServiceBackupHarness(TimeProvider? time = null, string spec = Spec)
    {
        _spec = spec;
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        // The proxy is never started here; restores reach the load-balancer drivers, which need a valid command to build.
        services.AddStrataControlPlane(new ControlPlaneOptions { Paths = new StrataPaths(Home.Path), ProxyCommand = ["strata", "proxy"] });
        services.AddSingleton<ICloudProvider>(new OneRunningServer(ServerRoot.Path));
        _services = services.BuildServiceProvider();
    }

    public TemporaryDirectory Home { get; } = new("strata-bk");

    public TemporaryDirectory ServerRoot { get; } = new("strata-bk-server");

    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    /// <summary>The deployment as applied state over an initialized store, registered with the control plane.</summary>
    public async Task<DeploymentRuntime> DeployAsync()
    {
        var store = Get<IStateStore>();
        await store.InitializeAsync(CancellationToken.None).WithTimeout();
        var runtime = AppliedDeployments.Runtime(store, _spec, state => state with
        {
            Tiers = [.. state.Tiers.Select(t => t with { Servers = [.. t.Servers.Select(s => s with { State = ServerStatus.InService, Address = "127.0.0.1" })] })],
        });
        return Get<DeploymentRegistry>().GetOrAdd("shop", () => runtime);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        ServerRoot.Dispose();
        Home.Dispose();
    }
}
