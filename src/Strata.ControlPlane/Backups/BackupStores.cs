using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;
using Strata.Storage;

namespace Strata.ControlPlane.Backups;

/// <summary>
/// The object stores a deployment's backups go to: the spec's <c>storage.backups</c> (and
/// <c>storage.disasterRecovery</c>), or a filesystem store under the Strata home folder when the spec names none.
/// </summary>
public sealed class BackupStores(IObjectStoreFactory factory, Microsoft.Extensions.Options.IOptions<ControlPlaneOptions> options)
{
    public IObjectStore Primary(DeploymentRuntime runtime) =>
        Create(runtime, runtime.Desired.Spec.Storage.Backups)
        ?? factory.Create("filesystem", new Dictionary<string, string> { ["root"] = Path.Combine(options.Value.Paths.Root, "backups") });

    /// <summary>The disaster-recovery store, or null when the spec names none.</summary>
    public IObjectStore? DisasterRecovery(DeploymentRuntime runtime) => Create(runtime, runtime.Desired.Spec.Storage.DisasterRecovery);

    private IObjectStore? Create(DeploymentRuntime runtime, StoreSpec? store)
    {
        if (store is null)
        {
            return null;
        }

        var resolver = LiveReferences.Resolver(runtime.Desired.Spec, runtime.State);
        var settings = store.Settings.ToDictionary(
            s => s.Key,
            s => TemplateEvaluator.Evaluate(s.Value, resolver).Text ?? throw new InvalidOperationException($"{s.Value.Location}: '{s.Value.Raw}' has no value"),
            StringComparer.Ordinal);
        if (store.Type == "filesystem" && settings.Remove("path", out var path))
        {
            settings["root"] = Path.GetFullPath(Path.Combine(runtime.Desired.Spec.BaseDirectory, path));
        }

        return factory.Create(store.Type, settings);
    }
}
