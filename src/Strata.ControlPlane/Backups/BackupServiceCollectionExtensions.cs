using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Strata.ControlPlane.Backups;

public static class BackupServiceCollectionExtensions
{
    /// <summary>Registers scheduled backups, restores, restore drills and disaster-recovery copies.</summary>
    public static IServiceCollection AddStrataBackups(this IServiceCollection services, Action<BackupOptions>? configure = null)
    {
        var options = new BackupOptions();
        configure?.Invoke(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"invalid backup options: {string.Join("; ", errors)}");
        }

        services.TryAddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        services.TryAddSingleton<BackupStores>();
        services.TryAddSingleton<StoreRetry>();
        services.TryAddSingleton<IVolumeBackups, VolumeBackups>();
        services.TryAddSingleton<BackupCatalog>();
        services.TryAddSingleton<ServerHooks>();
        services.TryAddSingleton<BackupRetention>();
        services.TryAddSingleton<BackupListing>();
        services.TryAddSingleton<BackupRunner>();
        services.TryAddSingleton<BackupRestorer>();
        services.TryAddSingleton<Drills.ScratchHealth>();
        services.TryAddSingleton<RestoreDrill>();
        services.TryAddSingleton<Drills.RegionDrillServers>();
        services.TryAddSingleton<Drills.RegionDrillLoadBalancers>();
        services.TryAddSingleton<Drills.RegionDrillJournal>();
        services.TryAddSingleton<Drills.RegionDrill>();
        services.TryAddSingleton<DisasterRecoveryQueue>();
        services.TryAddSingleton<DisasterRecoveryCopier>();
        services.TryAddSingleton<DisasterRecoveryReplication>();
        services.TryAddSingleton<BackupScheduler>();
        // First, so that it is done before anything that copies into a scratch folder starts.
        services.AddHostedService<ScratchFolderSweep>();
        services.AddHostedService(sp => sp.GetRequiredService<DisasterRecoveryReplication>());
        services.AddHostedService(sp => sp.GetRequiredService<BackupScheduler>());
        services.AddHostedService<Drills.RegionDrillSweep>();
        return services;
    }
}
