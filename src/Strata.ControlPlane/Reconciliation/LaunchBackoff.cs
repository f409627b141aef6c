using Microsoft.Extensions.Options;
using Strata.Api.Contracts.Events;
using Strata.Common.Retries;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Hosting;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Counts failed launches of a tier: its next launch waits exponentially longer (1 s, 2 s, 4 s… up to
/// <see cref="ControlPlaneOptions.MaxLaunchBackoff"/>), and after <see cref="CrashLoopAfter"/> in a row the tier is
/// reported as crash-looping. The count lives in <see cref="DeploymentRuntime.Failures"/>, which
/// <see cref="LaunchGate"/> reads.
/// </summary>
public sealed class LaunchBackoff(EventLog events, IOptions<ControlPlaneOptions> options, ReconcileTriggers triggers, TimeProvider time)
{
    /// <summary>Failures in a row after which a tier is reported as crash-looping.</summary>
    public const int CrashLoopAfter = 3;

    /// <summary>The wait after a tier's first failed launch: 1 second, doubled with each further failure in a row.</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);

    /// <summary>Counts one failed launch of <paramref name="tier"/>: its next launch waits, and a crash loop is reported.</summary>
    public async Task CountAsync(DeploymentRuntime runtime, string tier, string message, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var failures = runtime.AddLaunchFailure(tier, previous =>
        {
            var count = (previous?.Count ?? 0) + 1;
            return new LaunchFailures(count, now + Delay(count), message);
        });
        var (count, delay) = (failures.Count, Delay(failures.Count));

        // Look again when the wait is over rather than at the next periodic pass.
        triggers.After(runtime.Name, delay);
        if (count == CrashLoopAfter)
        {
            await events.PublishAsync(runtime.Name, EventKinds.TierCrashLoop,
                $"tier {tier} is crash-looping ({count} failures in a row); launches now back off up to {options.Value.MaxLaunchBackoff.TotalMinutes:0} min",
                EventSubject.OfTier(tier), EventSeverity.Error, ct).ConfigureAwait(false);
        }
    }

    private TimeSpan Delay(int failures)
    {
        // No jitter: launches of tiers that come back together are spread by the LaunchPacer's slots on this host.
        // A maximum below the first wait makes every wait that maximum.
        var max = options.Value.MaxLaunchBackoff;
        return max < FirstDelay ? max : ExponentialBackoff.Delay(failures, FirstDelay, max);
    }
}
