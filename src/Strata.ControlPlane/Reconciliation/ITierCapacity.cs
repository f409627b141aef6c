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
/// Lets a tier's new servers start only when all of them fit (<see cref="ITierCapacity"/>); otherwise none starts and
/// the tier's message says why. A <c>tier.no-capacity</c> event is published when a shortage starts or its reason
/// changes, and a <c>tier.capacity-resolved</c> event when it ends: the servers fit, or a whole pass went by without
/// the tier asking for any (scaled in, its tier or deployment changed). A pass is bracketed by <see cref="BeginPass"/>
/// (<see cref="ServerObservation"/>) and <see cref="EndPassAsync"/> (<see cref="TierReconciler"/>).
/// </summary>
public sealed class TierCapacityGate(ITierCapacity capacity, EventLog events)
{
    // The shortage last reported per deployment and tier, so that a tier waiting for capacity is reported once, and
    // the tiers that asked in the current pass of each deployment (passes of one deployment never overlap).
    private readonly ConcurrentDictionary<(string Deployment, string Tier), string> _reported = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> _asked = new();

    /// <summary>A reconcile pass of the deployment starts: no tier has asked for capacity in it yet.</summary>
    public void BeginPass(string deployment) => _asked[deployment] = new(StringComparer.Ordinal);

    public async Task<bool> AllowAsync(DeploymentRuntime runtime, TierSpec tier, int count, CancellationToken ct)
    {
        var key = (runtime.Name, tier.Name);
        _asked.GetOrAdd(runtime.Name, _ => new(StringComparer.Ordinal))[tier.Name] = true;
        if (await capacity.ShortageAsync(runtime.Name, tier, count, ct).ConfigureAwait(false) is not { } shortage)
        {
            await ResolveAsync(runtime, tier.Name, $"its {count} new servers fit now", ct).ConfigureAwait(false);
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

    /// <summary>
    /// The pass ends: the shortage of a tier that did not ask for capacity in it is over (scaled in, or waiting for
    /// something else first); should it ask again, a shortage then is reported anew.
    /// </summary>
    public async Task EndPassAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        var asked = _asked.GetValueOrDefault(runtime.Name);
        foreach (var (_, tier) in _reported.Keys.Where(k => k.Deployment == runtime.Name && asked?.ContainsKey(k.Tier) != true).ToList())
        {
            await ResolveAsync(runtime, tier, "it is not starting new servers now", ct).ConfigureAwait(false);
        }
    }

    /// <summary>True while the tier's new servers are held back for want of capacity: its message is the shortage.</summary>
    public bool IsShort(string deployment, string tier) => _reported.ContainsKey((deployment, tier));

    private async Task ResolveAsync(DeploymentRuntime runtime, string tier, string why, CancellationToken ct)
    {
        if (_reported.TryRemove((runtime.Name, tier), out _))
        {
            await events.PublishAsync(runtime.Name, EventKinds.TierCapacityResolved, $"tier {tier} no longer waits for capacity: {why}",
                EventSubject.OfTier(tier), cancellationToken: ct).ConfigureAwait(false);
        }
    }
}
