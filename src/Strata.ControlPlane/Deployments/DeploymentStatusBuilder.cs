using Strata.Api.Contracts;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Deployments;

/// <summary>Builds the status document of a deployment from its state.</summary>
public static class DeploymentStatusBuilder
{
    public static DeploymentPhase Phase(DeploymentRuntime runtime)
    {
        if (runtime.IsDeleting)
        {
            return DeploymentPhase.Deleting;
        }

        var tiers = runtime.State.Tiers;
        if (tiers.Any(t => t.Rollout?.Phase == RolloutPhase.AwaitingPromotion
                           && t.Servers.Any(s => s.State == ServerStatus.InService && s.ImageDigest == t.Rollout.ToImageDigest && s.LaunchDigest == t.Rollout.ToLaunchDigest)))
        {
            return DeploymentPhase.AwaitingPromotion;
        }

        // Converged: no rollout under way, exactly the desired servers, all of the current launch and in service,
        // and every load balancer sending to them. An old server still serving means an update is not done.
        var converged = tiers.All(t => t.Rollout is null && t.Servers.Count == t.Count.Desired
                                       && t.Servers.All(s => s.State == ServerStatus.InService && IsCurrent(runtime, t, s)))
                        && runtime.Desired.Spec.LoadBalancers.All(l => LoadBalancerReady(runtime, l));
        if (converged)
        {
            return DeploymentPhase.Converged;
        }

        return runtime.Failures.Count > 0 ? DeploymentPhase.Degraded : DeploymentPhase.Converging;
    }

    /// <summary>
    /// A load balancer is ready when it runs where the spec asks (its listen address, or a host of its placement) and
    /// sends to every server of its tier that is in service. Until a change of listen or placement is carried out, the
    /// state still has the old URL.
    /// </summary>
    private static bool LoadBalancerReady(DeploymentRuntime runtime, LoadBalancerSpec spec)
    {
        var state = runtime.State.FindLoadBalancer(spec.Name);
        var inService = runtime.State.FindTier(spec.TargetTier)?.Servers.Count(s => s.State == ServerStatus.InService) ?? 0;
        var wanted = spec.Placement is null ? spec.Url : state?.Address is { } address ? spec.UrlAt(address) : null;
        return state?.Url is not null && SameEndpoint(state.Url, wanted) && state.Members.Count == inService;
    }

    private static bool SameEndpoint(string url, string? wanted) =>
        Uri.TryCreate(url, UriKind.Absolute, out var a) && Uri.TryCreate(wanted, UriKind.Absolute, out var b)
        && a.Scheme == b.Scheme && a.Host == b.Host && a.Port == b.Port;

    private static bool IsCurrent(DeploymentRuntime runtime, TierState tier, ServerState server) =>
        server.ImageDigest == tier.ImageDigest && server.LaunchDigest == tier.LaunchDigest;

    /// <summary>What the deployment's tiers failed with, one tier after another; null when none has failed.</summary>
    public static string? FailureMessage(DeploymentRuntime runtime) =>
        runtime.Failures.Count == 0 ? null : string.Join("; ", runtime.Failures.Select(f => $"tier {f.Key}: {f.Value.Message}"));

    public static DeploymentStatusDto Build(DeploymentRuntime runtime, LoadBalancerCoordinator loadBalancers)
    {
        var state = runtime.State;
        return new DeploymentStatusDto
        {
            Name = runtime.Name,
            Phase = Phase(runtime),
            Serial = state.Serial,
            RolledBack = runtime.RolledBack,
            Message = FailureMessage(runtime),
            Tiers = [.. state.Tiers.Select(t => TierOf(runtime, t))],
            Rollouts = [.. state.Tiers.Where(t => t.Rollout is not null).Select(t => new RolloutDto(
                t.LogicalName, PlanBuilderText.Camel(t.Rollout!.Phase.ToString()), t.Rollout.StartedAt, t.Rollout.FromImageDigest, t.Rollout.ToImageDigest, t.Rollout.Reason))],
            Servers = [.. state.Tiers.SelectMany(t => t.Servers).Select(ServerOf)],
            LoadBalancers = [.. state.LoadBalancers.Select(l => LoadBalancerOf(runtime, loadBalancers, l))],
            Outputs = Outputs(runtime),
            Backups = BackupStatus(runtime),
            Volumes = [.. state.Volumes.Select(VolumeOf)],
        };
    }

    private static VolumeStatusDto VolumeOf(VolumeState v) => new()
    {
        Name = v.Name,
        Tier = v.Tier,
        Volume = v.LogicalName,
        Server = v.Server,
        Recovered = v.Recovered is { } r
            ? new VolumeRecoveryDto
            {
                Snapshot = r.Snapshot, Store = r.Store, RecoveryPoint = r.TakenAt, RestoredAt = r.RestoredAt,
                RecoveryPointAgeSeconds = Math.Max(0, (r.RestoredAt - r.TakenAt).TotalSeconds), LostVolume = r.LostVolume, LostHost = r.LostHost,
            }
            : null,
    };

    private static TierStatusDto TierOf(DeploymentRuntime runtime, TierState t) => new()
    {
        Name = t.LogicalName,
        Min = t.Count.Min,
        Max = t.Count.Max,
        Desired = t.Count.Desired,
        InService = t.Servers.Count(s => s.State == ServerStatus.InService),
        Message = runtime.Failures.GetValueOrDefault(t.LogicalName)?.Message ?? runtime.Waiting.GetValueOrDefault(t.LogicalName)
            ?? runtime.Pinned.GetValueOrDefault(t.LogicalName),
    };

    private static ServerDto ServerOf(ServerState s) => new()
    {
        Name = s.Name,
        Tier = s.Tier,
        Zone = s.Zone,
        Address = s.Address,
        State = PlanBuilderText.Camel(s.State),
        Pid = s.ProcessId,
        Image = s.ImageDigest,
        LaunchedAt = s.LaunchedAt,
        Message = s.Message,
    };

    private static LoadBalancerDto LoadBalancerOf(DeploymentRuntime runtime, LoadBalancerCoordinator loadBalancers, LoadBalancerState l)
    {
        var instance = loadBalancers.Find(l.PhysicalName);
        var down = instance is null ? loadBalancers.WhyDown(l.PhysicalName) : null;
        return new LoadBalancerDto
        {
            Name = l.LogicalName,
            PhysicalName = l.PhysicalName,
            Driver = l.Driver,
            Url = l.Url,
            State = instance?.State.ToString().ToLowerInvariant() ?? (down is null ? "starting" : "down"),
            Host = l.Host,
            Pid = instance?.ProcessId,
            Members = l.Members,
            Message = down ?? instance?.Message ?? loadBalancers.OutOfRotation(runtime, l),
            CertificateNotAfter = instance?.CertificateNotAfter,
            Traffic = loadBalancers.TrafficOf(l.PhysicalName),
        };
    }

    private static IReadOnlyList<BackupStatusDto> BackupStatus(DeploymentRuntime runtime) =>
        [.. Backups.BackupStatusBoard.Of(runtime).Select(r => new BackupStatusDto
        {
            Tier = r.Tier, Policy = r.Policy, Kind = r.Kind, LastBackupId = r.LastBackupId, LastBackupAt = r.LastBackupAt,
            LastError = r.LastError, LastErrorAt = r.LastErrorAt, LastVerifiedAt = r.LastVerifiedAt, LastVerifiedBackupId = r.LastVerifiedBackupId,
            LastRestoreSeconds = r.LastRestoreDuration?.TotalSeconds, LastDrillPassed = r.LastDrillPassed, LastDrillMessage = r.LastDrillMessage,
        })];

    /// <summary>Outputs evaluated against the live state; secrets never leave as text.</summary>
    private static IReadOnlyDictionary<string, string> Outputs(DeploymentRuntime runtime)
    {
        var resolver = LiveReferences.Resolver(runtime.Desired.Spec, runtime.State);
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var output in runtime.Desired.Spec.Outputs)
        {
            outputs[output.Name] = TemplateEvaluator.Evaluate(output.Value, resolver).Display;
        }

        return outputs;
    }
}

internal static class PlanBuilderText
{
    public static string Camel(ServerStatus state) => Camel(state.ToString());

    public static string Camel(string text) => char.ToLowerInvariant(text[0]) + text[1..];
}
