using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.Secrets;
using Strata.ControlPlane.State;
using Strata.LoadBalancing.Pinning;
using Strata.Planning;
using Strata.Planning.Images;
using Strata.Planning.State;
using Strata.Providers;
using ServerState = Strata.Planning.State.ServerState;

namespace Strata.ControlPlane.Tests;

/// <summary>A spec planned and applied to an empty state, as the control plane records it before anything runs.</summary>
internal static class AppliedDeployments
{
    /// <summary>The digest every image of the spec gets.</summary>
    public const string ImageDigest = "sha256:test";

    /// <param name="store">Where the runtime persists its changes.</param>
    /// <param name="yaml">The spec, without parameters that need values.</param>
    /// <param name="adjust">Changes to the applied state, e.g. servers put in service.</param>
    /// <param name="secrets">Where the runtime publishes its secret scrubber, as the control plane's runtimes do.</param>
    public static DeploymentRuntime Runtime(IStateStore store, string yaml, Func<DeploymentState, DeploymentState>? adjust = null, DeploymentSecrets? secrets = null)
    {
        var spec = Specs.Load(yaml);
        var desired = new DesiredDeployment
        {
            Spec = spec,
            SpecPath = $"/srv/{spec.Name}/strata.yaml",
            SpecText = yaml,
            // As the control plane records an apply: the values the spec was loaded with.
            Parameters = new Dictionary<string, string>(spec.ResolvedParameters),
            ImageDigests = spec.Images.ToDictionary(i => i.Name, _ => ImageDigest),
        };
        var empty = DeploymentState.Empty(spec.Name);
        var plan = Planner.Plan(spec, empty, new PlanOptions { ComputeImageDigest = _ => ImageDigest, Random = new Random(7) });
        var state = PlanApplication.Apply(empty, spec, desired.ImageDigests, plan, DateTimeOffset.UnixEpoch, ServerPin.NewKey);
        return new DeploymentRuntime(store, DeploymentRegistry.NewRecord(spec.Name), desired, adjust is null ? state : adjust(state), secrets: secrets);
    }

    /// <summary>The provider's view of <paramref name="server"/> of the <c>web</c> tier of deployment <c>shop</c>: running at its address.</summary>
    /// <param name="root">The server's folder; its log and config paths are below it.</param>
    public static ServerInstance RunningInstance(ServerState server, DateTimeOffset launchedAt, string root) => new()
    {
        Id = server.Name, Name = server.Name, Deployment = "shop", Tier = "web", Zone = server.Zone, Address = server.Address ?? "127.0.0.1",
        ImageId = ImageDigest, State = ServerInstanceState.Running, LaunchedAt = launchedAt, RootPath = root,
        LogPath = Path.Combine(root, "log"), ConfigPath = Path.Combine(root, "config.json"),
    };
}
