using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Strata.Api.Contracts;
using Strata.ControlPlane.Access;
using Strata.ControlPlane.Api.V1;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Hosts;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.Secrets;
using Strata.ControlPlane.State;
using Strata.Providers;
using Strata.Storage;

namespace Strata.ControlPlane.Hosting;

public static class ControlPlaneServiceCollectionExtensions
{
    /// <summary>
    /// Registers the control plane on the embedded defaults: SQLite state, the local provider, the filesystem object
    /// store and the built-in load balancer, all under the home folder of <paramref name="options"/>.
    /// </summary>
    public static IServiceCollection AddStrataControlPlane(this IServiceCollection services, ControlPlaneOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(Options.Create(options));
        AddStateAndAccess(services, options.Paths);
        AddProvidersAndLoadBalancers(services, options);
        services.TryAddSingleton<IHealthProbe, HealthProbe>();
        services.AddStrataBackups();
        services.AddOptions<EventRetentionOptions>().Validate(o => o.Validate().Count == 0, "invalid event retention options");
        services.TryAddSingleton<DeploymentSecrets>();
        services.TryAddSingleton<EventLog>();
        services.AddHostedService<EventPruning>();
        AddReconciliation(services);
        services.TryAddSingleton<DeploymentRegistry>();
        services.TryAddSingleton<IDeploymentService, DeploymentService>();
        services.AddOptions<Scaling.AutoscalingOptions>();
        services.TryAddSingleton<Scaling.TierMeasurements>();
        services.AddHostedService<Scaling.AutoscalingLoop>();
        services.AddSingleton<DeploymentPhaseEvents>();
        services.AddSingleton<ReconcileLoop>();
        services.AddHostedService(sp => sp.GetRequiredService<ReconcileLoop>());
        services.TryAddSingleton<LivenessAuditor>();
        services.AddHostedService<LivenessAuditLoop>();
        services.AddStrataHosts(options.Paths, options.ApplyTo);
        return services;
    }

    private static void AddStateAndAccess(IServiceCollection services, StrataPaths paths)
    {
        services.AddSingleton(Options.Create(new SqliteStateStoreOptions { DatabasePath = paths.StateDatabase }));
        services.TryAddSingleton<IStateStore, SqliteStateStore>();
        services.TryAddSingleton(_ => new CliCredential(ServerToken.LoadOrCreate(paths)));
        services.TryAddSingleton(sp => InstallationKey.From(sp.GetRequiredService<CliCredential>().Secret));
        services.TryAddSingleton<IAccessStore, SqliteAccessStore>();
        services.TryAddSingleton<TokenAuthenticator>();
    }

    private static void AddProvidersAndLoadBalancers(IServiceCollection services, ControlPlaneOptions options)
    {
        var paths = options.Paths;
        services.AddStrataObjectStores(o => o.RootPath = paths.ObjectStoreRoot);
        services.AddLocalProvider(o =>
        {
            o.RootPath = paths.LocalProviderRoot;
            if (options.LocalAddresses is { } range)
            {
                (o.AddressRangeStart, o.AddressRangeEnd) = range;
            }
        });
        services.AddBuiltInLoadBalancer(o =>
        {
            o.RootPath = paths.LoadBalancersRoot;
            o.ProxyCommand = options.ProxyCommand;
        });
        services.AddHaProxyLoadBalancer(o => o.RootPath = Path.Combine(paths.LoadBalancersRoot, "haproxy"));
    }

    /// <summary>Health, the parts of a server's and a volume's life, and the reconciler over them.</summary>
    private static void AddReconciliation(IServiceCollection services)
    {
        services.TryAddSingleton<ProbeSchedule>();
        services.TryAddSingleton<LoadBalancerChecks>();
        services.TryAddSingleton<HealthMonitor>();
        services.TryAddSingleton<ImageCatalog>();
        services.TryAddSingleton<LoadBalancerPlacement>();
        services.TryAddSingleton<LoadBalancerCoordinator>();
        services.TryAddSingleton<ServerShutdown>();
        services.TryAddSingleton<DeathVerdicts>();
        services.TryAddSingleton<VolumeLifecycle>();
        services.TryAddSingleton<LaunchPacer>();
        services.TryAddSingleton<ReconcileTriggers>();
        services.TryAddSingleton<LaunchBackoff>();
        services.TryAddSingleton<ServerFailures>();
        services.TryAddSingleton<IServerFailures>(sp => sp.GetRequiredService<ServerFailures>());
        services.TryAddSingleton<ServerOperations>();
        services.TryAddSingleton<ServerLaunch>();
        services.TryAddSingleton<ServerTermination>();
        services.TryAddSingleton<ServerReplacement>();
        services.TryAddSingleton<ServerLifecycle>();
        services.TryAddSingleton<ServerObservation>();
        services.TryAddSingleton<DeploymentRollback>();
        services.TryAddSingleton<ITierCapacity, UnlimitedCapacity>();
        services.TryAddSingleton<IServerReach, LocalReach>();
        services.TryAddSingleton<IServerShell, LocalServerShell>();
        services.TryAddSingleton<IHostedProbes, LocalProbes>();
        services.TryAddSingleton<ILoadBalancerHosts, NoLoadBalancerHosts>();
        services.TryAddSingleton<TierCapacityGate>();
        services.TryAddSingleton<TierReconciler>();
        services.TryAddSingleton<DeploymentReconciler>();
    }
}
