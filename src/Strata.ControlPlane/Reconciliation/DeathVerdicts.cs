using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Hosting;
using Strata.Planning.State;
using Strata.Providers;
using ProviderServerState = Strata.Providers.ServerInstanceState;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>What a second look at a server the listing showed not running found.</summary>
/// <param name="Running">The server's instance when it runs after all.</param>
/// <param name="Death">Why it is gone, once that is confirmed; null while it is still being confirmed.</param>
public sealed record DeathVerdict(ServerInstance? Running, string? Death)
{
    /// <summary>Neither alive nor confirmed gone yet: a pass after <see cref="ControlPlaneOptions.DeathConfirmation"/> looks again.</summary>
    public bool Pending => Running is null && Death is null;
}

/// <summary>
/// Confirms a server's death before the reconciler fails it. A pass lists the servers when it starts, so a server whose
/// launch finished since is listed as it was (still configuring), and failing it on that word killed healthy servers
/// under load. So a server listed as not running is described again: the local provider re-reads its pid, start time
/// and marker, and a process found gone that way (or with an exit code) is confirmed. A server the provider no longer
/// knows at all is confirmed only when a second look, at least <see cref="ControlPlaneOptions.DeathConfirmation"/>
/// after the first, still does not find it, and no host that may run it is still silent (<see cref="IServerReach.WhyUnaccounted"/>).
/// </summary>
public sealed class DeathVerdicts(
    ICloudProvider provider, IServerReach reach, ReconcileTriggers triggers, IOptions<ControlPlaneOptions> options, TimeProvider time)
{
    private const int DeathLogLines = 3;

    private ImmutableDictionary<string, Suspicion> _suspected = ImmutableDictionary.Create<string, Suspicion>(StringComparer.Ordinal);

    /// <summary>The servers whose death awaits a second look.</summary>
    public IReadOnlyCollection<string> Suspected => [.. Volatile.Read(ref _suspected).Keys];

    /// <summary>
    /// Looks at <paramref name="server"/> of <paramref name="deployment"/> again and says whether it runs, is confirmed
    /// gone, or needs another look; for that one, a pass of the deployment is asked for once it is due.
    /// </summary>
    public async Task<DeathVerdict> JudgeAsync(string deployment, ServerState server, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var instance = await provider.DescribeServerAsync(server.Name, ct).ConfigureAwait(false);
        if (instance?.State == ProviderServerState.Running)
        {
            ImmutableInterlocked.TryRemove(ref _suspected, server.Name, out _);
            return new DeathVerdict(instance, null);
        }

        var first = ImmutableInterlocked.GetOrAdd(ref _suspected, server.Name, new Suspicion(deployment, now)).Since;
        if (instance is null && (now - first < options.Value.DeathConfirmation || reach.WhyUnaccounted(server.Name) is not null))
        {
            // Not found, but not known to be gone: looked at again until a second look confirms it, and for as long as a
            // host that may run it has not answered since the control plane started (lost, it answers for nothing).
            triggers.After(deployment, options.Value.DeathConfirmation);
            return new DeathVerdict(null, null);
        }

        ImmutableInterlocked.TryRemove(ref _suspected, server.Name, out _);
        return new DeathVerdict(null, await MessageAsync(server, instance, ct).ConfigureAwait(false));
    }

    /// <summary>
    /// Drops the suspicions of <paramref name="deployment"/>'s servers that no longer need a second look: gone from the
    /// state (terminated by another path), no longer booting, in service or unhealthy, or listed running again. Kept,
    /// such an entry leaked, and a later death of the same server was confirmed at the first look, on the strength of
    /// a suspicion long cleared. Called on every reconcile pass with that pass's listing.
    /// </summary>
    public void Settle(string deployment, DeploymentState state, IReadOnlyDictionary<string, ServerInstance> observed)
    {
        var judged = state.Tiers.SelectMany(t => t.Servers)
            .Where(s => s.State is ServerStatus.Booting or ServerStatus.InService or ServerStatus.Unhealthy)
            .Select(s => s.Name)
            .ToHashSet(StringComparer.Ordinal);
        ImmutableInterlocked.Update(ref _suspected, suspected => suspected.RemoveRange(suspected
            .Where(e => e.Value.Deployment == deployment
                && (!judged.Contains(e.Key) || observed.GetValueOrDefault(e.Key)?.State == ProviderServerState.Running))
            .Select(e => e.Key)));
    }

    /// <summary>
    /// True for a server failed because its process was gone that the provider now reports running: the verdict was
    /// wrong. Only a tier without volumes qualifies, since a failed server's volumes are handed to its replacement.
    /// </summary>
    public static bool WronglyFailed(ServerState server, ServerInstance? instance, bool hasVolumes) =>
        server is { State: ServerStatus.Failed, Failure: FailureCause.ProcessGone } && instance?.State == ProviderServerState.Running && !hasVolumes;

    /// <summary>Why a server died, with the last lines of its log: usually the error that killed it.</summary>
    private async Task<string> MessageAsync(ServerState server, ServerInstance? instance, CancellationToken ct)
    {
        var reason = instance switch
        {
            null => "the server disappeared",
            { ExitCode: { } code } => $"the process exited with code {code}",
            _ => instance.Message ?? $"the process is gone (the provider reports it {instance.State})",
        };
        var lines = instance is null ? [] : await LastLogLinesAsync(server.Name, ct).ConfigureAwait(false);
        return lines.Count == 0 ? reason : $"{reason}: {string.Join(" | ", lines)}";
    }

    private sealed record Suspicion(string Deployment, DateTimeOffset Since);

    private async Task<List<string>> LastLogLinesAsync(string serverId, CancellationToken ct)
    {
        try
        {
            var tail = await provider.ReadLogTailAsync(serverId, DeathLogLines, ct).ConfigureAwait(false);
            return [.. tail.Where(l => !string.IsNullOrWhiteSpace(l))];
        }
        catch (Exception ex) when (ex is IOException or ProviderException or UnauthorizedAccessException)
        {
            // The log is a courtesy: the server is failed with or without it.
            return [];
        }
    }
}
