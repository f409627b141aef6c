using System.Collections.Concurrent;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.Planning;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>Whether a tier's new servers fit where they would run, asked before any of them is launched so a tier never half-starts.</summary>
public interface ITierCapacity
{
    /// <summary>Why <paramref name="count"/> more servers of <paramref name="tier"/> cannot all be placed now (starting <c>no capacity:</c>), or null when they can.</summary>
    Task<string?> ShortageAsync(string deployment, TierSpec tier, int count, CancellationToken ct);

    /// <summary>
    /// The hosts up to <paramref name="count"/> new servers of the tier would go to now, in order (fewer when not all
    /// fit), for the plan; null when servers are not placed on hosts.
    /// </summary>
    Task<IReadOnlyList<PlannedHost>?> PreviewAsync(string deployment, TierSpec tier, int count, CancellationToken ct);
}

/// <summary>The control plane's machine alone: servers are limited by the provider's own resources, not by placement.</summary>
internal sealed class UnlimitedCapacity : ITierCapacity
{
    public Task<string?> ShortageAsync(string deployment, TierSpec tier, int count, CancellationToken ct) => Task.FromResult<string?>(null);

    public Task<IReadOnlyList<PlannedHost>?> PreviewAsync(string deployment, TierSpec tier, int count, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<PlannedHost>?>(null);
}

/// <summary>
/// Lets a tier's new servers start only when all of them fit (<see cref="ITierCapacity"/>); otherwise none starts, the
/// tier's message says why and a <c>tier.no-capacity</c> event is published, once per distinct reason.
/// </summary>
public sealed class TierCapacityGate(ITierCapacity capacity, EventLog events)
{
    // The shortage last reported per deployment and tier, so that a tier waiting for capacity is reported once.
    private readonly ConcurrentDictionary<(string Deployment, string Tier), string> _reported = new();

    public async Task<bool> AllowAsync(DeploymentRuntime runtime, TierSpec tier, int count, CancellationToken ct)
    {
        var key = (runtime.Name, tier.Name);
        if (await capacity.ShortageAsync(runtime.Name, tier, count, ct).ConfigureAwait(false) is not { } shortage)
        {
            _reported.TryRemove(key, out _);
            return true;
        }

        runtime.SetWaiting(tier.Name, shortage);
        if (!_reported.TryGetValue(key, out var reported) || reported != shortage)
        {
            _reported[key] = shortage;
            await events.PublishAsync(runtime.Name, EventKinds.TierNoCapacity, $"tier {tier.Name}: {shortage}; none of its {count} new servers starts until all fit",
                EventSubject.OfTier(tier.Name), EventSeverity.Warning, ct).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>True while the tier's new servers are held back for want of capacity: its message is the shortage.</summary>
    public bool IsShort(string deployment, string tier) => _reported.ContainsKey((deployment, tier));

    /// <summary>The tier has no new servers waiting any more; a later shortage is reported again.</summary>
    public void Forget(string deployment, string tier) => _reported.TryRemove((deployment, tier), out _);
}
