using System.Collections.Immutable;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// What the reconciler keeps of each tier in memory only, never stored: its launch failures, for backoff, and why it
/// waits, leaves servers where they are, or holds unhealthy servers back, each reported once.
/// </summary>
public sealed partial class DeploymentRuntime
{
    // Written from launch tasks, health probes and reconcile passes at once: immutable maps swapped atomically, so a
    // reader always sees one whole snapshot and no update is lost.
    private ImmutableDictionary<string, LaunchFailures> _failures = ImmutableDictionary.Create<string, LaunchFailures>(StringComparer.Ordinal);
    private ImmutableDictionary<string, string> _waiting = ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);
    private ImmutableDictionary<string, string> _pinned = ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);
    private ImmutableHashSet<string> _overloaded = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Per-tier launch failures, for backoff; in memory, so a restart retries at once. A snapshot.</summary>
    public IReadOnlyDictionary<string, LaunchFailures> Failures => Volatile.Read(ref _failures);

    /// <summary>Why a tier is waiting (for a dependency), as last reported. A snapshot.</summary>
    public IReadOnlyDictionary<string, string> Waiting => Volatile.Read(ref _waiting);

    /// <summary>Records one more launch failure of a tier, computed from the previous (null for the first), atomically.</summary>
    public LaunchFailures AddLaunchFailure(string tier, Func<LaunchFailures?, LaunchFailures> next) =>
        ImmutableInterlocked.AddOrUpdate(ref _failures, tier, _ => next(null), (_, previous) => next(previous));

    /// <summary>Forgets a tier's launch failures: it is back at full strength.</summary>
    public void ClearLaunchFailures(string tier) => ImmutableInterlocked.TryRemove(ref _failures, tier, out _);

    /// <summary>Records why a tier waits; false when that was already the recorded reason (so it is reported once).</summary>
    public bool SetWaiting(string tier, string message) => SetMessage(ref _waiting, tier, message);

    /// <summary>Records a tier's message in <paramref name="messages"/>; false when it was the recorded one already.</summary>
    private static bool SetMessage(ref ImmutableDictionary<string, string> messages, string tier, string message)
    {
        while (true)
        {
            var current = Volatile.Read(ref messages);
            if (current.GetValueOrDefault(tier) == message)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref messages, current.SetItem(tier, message), current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Records whether a tier holds unhealthy servers back from replacement (see <see cref="ReplacementPacing"/>);
    /// true only when it just became so, so the overload is reported once per episode.
    /// </summary>
    public bool SetOverloaded(string tier, bool overloaded)
    {
        if (overloaded)
        {
            return ImmutableInterlocked.Update(ref _overloaded, s => s.Add(tier));
        }

        ImmutableInterlocked.Update(ref _overloaded, s => s.Remove(tier));
        return false;
    }

    /// <summary>Why an in-place update of a tier leaves servers where they are, as last reported (see <see cref="TierTarget.Pinned"/>). A snapshot.</summary>
    public IReadOnlyDictionary<string, string> Pinned => Volatile.Read(ref _pinned);

    /// <summary>Records why a tier's update leaves servers where they are, or that it no longer does (null); true only when a new reason starts, so it is reported once.</summary>
    public bool SetPinned(string tier, string? message)
    {
        if (message is null)
        {
            ImmutableInterlocked.TryRemove(ref _pinned, tier, out _);
            return false;
        }

        return SetMessage(ref _pinned, tier, message);
    }

    /// <summary>The tier no longer waits; a later wait is reported again.</summary>
    public void ClearWaiting(string tier) => ImmutableInterlocked.TryRemove(ref _waiting, tier, out _);
}
