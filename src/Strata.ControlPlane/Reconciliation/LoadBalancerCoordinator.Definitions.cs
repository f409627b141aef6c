using Strata.LoadBalancing;
using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>What the drivers run for a load balancer of the spec.</summary>
public sealed partial class LoadBalancerCoordinator
{
    private static LoadBalancerDefinition Definition(DeploymentRuntime runtime, LoadBalancerSpec spec, LoadBalancerState state) =>
        DefinitionOf(runtime.Desired.Spec, spec, state.PhysicalName, runtime.Name, state.Address ?? spec.ListenHost, spec.ListenPort, state.PinKey);

    /// <summary>What the drivers run for <paramref name="spec"/> of <paramref name="deployment"/>, listening at <paramref name="listenHost"/>:<paramref name="listenPort"/>.</summary>
    internal static LoadBalancerDefinition DefinitionOf(
        DeploymentSpec deployment, LoadBalancerSpec spec, string id, string deploymentName, string listenHost, int listenPort, string? pinKey) => new()
    {
        Id = id,
        Deployment = deploymentName,
        ListenHost = listenHost,
        ListenPort = listenPort,
        Algorithm = BalancingAlgorithmOf(spec.Algorithm),
        DrainTimeout = spec.DrainTimeout,
        Sticky = spec.Sticky,
        PinKey = pinKey,
        MaxConnections = spec.MaxConnections,
        ResponseHeaderTimeout = spec.ResponseHeaderTimeout,
        MaxRequestBodyBytes = spec.MaxRequestBodyBytes,
        BackendProtocol = deployment.FindTier(spec.TargetTier)?.Protocol == TierProtocol.H2c ? BackendProtocol.H2c : BackendProtocol.Http1,
        Tls = spec.Tls is { } tls
            ? new TlsSettings
            {
                CertificatePath = Path.GetFullPath(Path.Combine(deployment.BaseDirectory, tls.Certificate)),
                KeyPath = Path.GetFullPath(Path.Combine(deployment.BaseDirectory, tls.Key)),
            }
            : null,
    };

    /// <summary>The driver's name for the spec's algorithm, mapped by meaning: the two enums are declared apart.</summary>
    internal static BalancingAlgorithm BalancingAlgorithmOf(LoadBalancingAlgorithm algorithm) => algorithm switch
    {
        LoadBalancingAlgorithm.RoundRobin => BalancingAlgorithm.RoundRobin,
        LoadBalancingAlgorithm.LeastConnections => BalancingAlgorithm.LeastConnections,
        LoadBalancingAlgorithm.SourceHash => BalancingAlgorithm.SourceHash,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "no load-balancing algorithm of the drivers matches this one"),
    };
}
