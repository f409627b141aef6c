using Strata.Api.Contracts;
using Strata.Backups.Scheduling;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Reconciliation;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Backups;

/// <summary>A tier's backup policy, with the tier it belongs to.</summary>
public sealed record TierPolicy(TierSpec Tier, BackupPolicySpec Policy)
{
    /// <summary><c>snapshot</c> or <c>service</c>, as records and the API spell it.</summary>
    public string Kind => Policy.Kind == BackupKind.Snapshot ? "snapshot" : "service";

    public BackupSchedule Schedule => BackupSchedule.Parse(Policy.Cron ?? $"every: {(long)Policy.Every!.Value.TotalSeconds}s");
}

/// <summary>Finding policies, the servers they run on and their keys.</summary>
public static class BackupPolicies
{
    /// <summary>The policies a request names: every policy, or those of one tier, or one policy.</summary>
    /// <exception cref="NotFoundException">The tier or policy does not exist, or names nothing to back up.</exception>
    public static IReadOnlyList<TierPolicy> Select(DeploymentRuntime runtime, string? tier, string? policy)
    {
        var spec = runtime.Desired.Spec;
        if (tier is not null && spec.FindTier(tier) is null)
        {
            throw new NotFoundException($"deployment {runtime.Name} has no tier '{tier}'");
        }

        var selected = spec.Tiers
            .Where(t => tier is null || t.Name == tier)
            .SelectMany(t => t.Backups.Select(p => new TierPolicy(t, p)))
            .Where(p => policy is null || p.Policy.Name == policy)
            .ToList();
        return selected.Count > 0
            ? selected
            : throw new NotFoundException(policy is null
                ? $"{(tier is null ? $"deployment {runtime.Name}" : $"tier {tier}")} has no backup policies"
                : $"{(tier is null ? $"deployment {runtime.Name}" : $"tier {tier}")} has no backup policy '{policy}'");
    }

    /// <summary>The value of the policy's encryption key parameter, or null when the policy encrypts nothing.</summary>
    public static string? EncryptionKey(DeploymentRuntime runtime, BackupPolicySpec? policy) =>
        policy?.EncryptionKeyParameter is { } parameter && runtime.Desired.Spec.ResolvedParameters.TryGetValue(parameter, out var key) ? key : null;

    /// <summary>The snapshot policy of a tier's volume, whose key its snapshots are encrypted with.</summary>
    public static BackupPolicySpec? SnapshotPolicy(DeploymentRuntime runtime, string tier, string volume) =>
        runtime.Desired.Spec.FindTier(tier)?.Backups.FirstOrDefault(b => b.Kind == BackupKind.Snapshot && b.Volume == volume);

    /// <summary>The server a backup of the tier is taken on: the oldest one in service.</summary>
    /// <exception cref="InvalidOperationException">No server of the tier is in service.</exception>
    public static async Task<ServerInstance> ServerAsync(ICloudProvider provider, DeploymentRuntime runtime, string tier, CancellationToken ct)
    {
        foreach (var server in (runtime.State.FindTier(tier)?.Servers ?? []).Where(s => s.State == Planning.State.ServerStatus.InService).OrderBy(s => s.LaunchedAt))
        {
            if (await provider.DescribeServerAsync(server.Name, ct).ConfigureAwait(false) is { State: ServerInstanceState.Running } instance)
            {
                return instance;
            }
        }

        throw new InvalidOperationException($"no server of tier {tier} is in service to take the backup on");
    }
}
