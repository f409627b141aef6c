using Microsoft.Extensions.Options;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Drills;

/// <summary>
/// Waits for a drill's scratch server to pass its tier's health check as many times in a row as the check asks,
/// within <see cref="BackupOptions.HealthTimeout"/>. The scratch server has no reconciler watching it, so this also
/// notices when it stops.
/// </summary>
public sealed class ScratchHealth(ICloudProvider provider, IHealthProbe probe, IOptions<BackupOptions> options, TimeProvider time)
{
    /// <summary>Returns once the server is healthy (at once for a tier without a check).</summary>
    /// <exception cref="InvalidOperationException">The server stopped, or was not healthy in time: the message says which, with the last probe's answer.</exception>
    public Task WaitAsync(DeploymentRuntime runtime, TierSpec tier, ServerInstance instance, CancellationToken ct) =>
        WaitAsync(runtime, null, tier, instance, ct);

    /// <summary>As <see cref="WaitAsync(DeploymentRuntime, TierSpec, ServerInstance, CancellationToken)"/>, a command check's references resolved against <paramref name="state"/>.</summary>
    public async Task WaitAsync(DeploymentRuntime runtime, DeploymentState? state, TierSpec tier, ServerInstance instance, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentNullException.ThrowIfNull(instance);
        if (tier.Health is not { } check)
        {
            return;
        }

        var target = ProbeTarget.For(runtime, state ?? runtime.State, tier, instance);
        var deadline = time.GetUtcNow() + options.Value.HealthTimeout;
        var last = "";
        var passes = 0;
        while (time.GetUtcNow() < deadline)
        {
            var result = await probe.ProbeAsync(check, target, ct).ConfigureAwait(false);
            passes = result.Passed ? passes + 1 : 0;
            if (passes >= check.HealthyAfter)
            {
                return;
            }

            last = result.Detail ?? last;
            if (await provider.DescribeServerAsync(instance.Id, ct).ConfigureAwait(false) is not { State: ServerInstanceState.Running })
            {
                throw new InvalidOperationException($"the scratch server {instance.Id} stopped before it was healthy");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), time, ct).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"the scratch server {instance.Id} was not healthy within {options.Value.HealthTimeout}: {last}");
    }
}
