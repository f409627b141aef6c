using Strata.Api.Contracts;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary>
/// Follows a deployment until it is converged, has failed or the timeout passes, printing each server's state
/// changes as they happen (one line each, so the output reads well in a terminal and in a CI log).
/// </summary>
public sealed class ConvergenceWatcher(CliContext context, ControlPlaneClient client, bool expectRollout = true)
{
    private readonly bool _expectRollout = expectRollout;

    /// <summary>A tier whose launches failed this many times in a row makes the wait end as failed.</summary>
    public const int FailedLaunchLimit = 3;

    private readonly Dictionary<string, string> _seen = new(StringComparer.Ordinal);
    private readonly LaunchProgress _progress = new();

    public async Task<(DeploymentStatusDto? Status, int ExitCode)> WaitAsync(string deployment, long sinceEvent, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var failures = 0;
        var lastEvent = sinceEvent;
        while (DateTime.UtcNow < deadline)
        {
            DeploymentStatusDto status;
            try
            {
                status = await client.GetStatusAsync(deployment, ct).ConfigureAwait(false);
            }
            catch (ControlPlaneException ex) when (ex.Status == System.Net.HttpStatusCode.NotFound)
            {
                return (null, ExitCodes.Success);
            }

            Report(status);
            failures = await CountFailuresAsync(deployment, lastEvent, e => lastEvent = e, ct).ConfigureAwait(false);
            if (status.Phase == DeploymentPhase.Converged && (status.RolledBack ?? _progress.RolledBack) is { } rolledBack && _expectRollout)
            {
                await context.Error.WriteLineAsync($"strata: {deployment} was rolled back: {rolledBack}").ConfigureAwait(false);
                return (status, ExitCodes.NotConverged);
            }

            if (status.Phase == DeploymentPhase.Converged)
            {
                return (status, ExitCodes.Success);
            }

            if (status.Phase == DeploymentPhase.AwaitingPromotion)
            {
                await context.Error.WriteLineAsync($"strata: the canary of {deployment} is in service; `strata promote {deployment}` rolls the rest, `strata rollback {deployment}` goes back").ConfigureAwait(false);
                return (status, ExitCodes.Success);
            }

            if (failures >= FailedLaunchLimit && status.Phase == DeploymentPhase.Degraded)
            {
                await context.Error.WriteLineAsync($"strata: {deployment} has failed: {status.Message}").ConfigureAwait(false);
                return (status, ExitCodes.NotConverged);
            }

            await Task.Delay(200, ct).ConfigureAwait(false);
        }

        await context.Error.WriteLineAsync($"strata: {deployment} did not converge within {timeout.TotalSeconds:0}s; `strata status {deployment}` shows where it is").ConfigureAwait(false);
        return (null, ExitCodes.NotConverged);
    }

    private async Task<int> CountFailuresAsync(string deployment, long after, Action<long> advance, CancellationToken ct)
    {
        await foreach (var e in client.EventsAsync(deployment, after, follow: false, ct).ConfigureAwait(false))
        {
            advance(e.Id);
            if (_progress.Observe(e) is { } line)
            {
                await context.Error.WriteLineAsync(line).ConfigureAwait(false);
            }
        }

        return _progress.Failures;
    }

    private void Report(DeploymentStatusDto status)
    {
        foreach (var server in status.Servers)
        {
            var line = $"{server.State}{(server.Address is null ? "" : " at " + server.Address)}";
            if (_seen.GetValueOrDefault(server.Name) != line)
            {
                _seen[server.Name] = line;
                context.Error.WriteLine($"  {server.Tier,-12} {server.Name,-32} {line}");
            }
        }

        foreach (var lb in status.LoadBalancers)
        {
            var line = $"{lb.State} {lb.Url} → {lb.Members.Count} server{(lb.Members.Count == 1 ? "" : "s")}";
            if (_seen.GetValueOrDefault("lb:" + lb.Name) != line)
            {
                _seen["lb:" + lb.Name] = line;
                context.Error.WriteLine($"  {"lb " + lb.Name,-12} {lb.PhysicalName,-32} {line}");
            }
        }
    }
}
