using System.Collections.Immutable;

namespace Strata.Scaling;

/// <summary>
/// Keeps a tier whose servers keep failing from relaunching them in a tight loop. Each consecutive failure doubles
/// the wait before the next launch (with jitter, up to <see cref="CrashLoopBackoffOptions.MaxDelay"/>); a server
/// that stays in service for <see cref="CrashLoopBackoffOptions.StableAfter"/> clears the count. Reaching
/// <see cref="CrashLoopBackoffOptions.CrashLoopAfter"/> failures is reported once, so the controller raises one event.
/// </summary>
public sealed class CrashLoopBackoff
{
    private readonly CrashLoopBackoffOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private ImmutableDictionary<string, CrashLoopState> _tiers = ImmutableDictionary<string, CrashLoopState>.Empty;

    /// <param name="options">Delays and thresholds.</param>
    /// <param name="time">The clock the waits are measured with.</param>
    /// <param name="random">The source of jitter.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public CrashLoopBackoff(CrashLoopBackoffOptions options, TimeProvider time, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        if (options.Validate() is { Count: > 0 } errors)
        {
            throw new ArgumentException($"Invalid crash-loop backoff options: {string.Join("; ", errors)}", nameof(options));
        }

        _options = options;
        _time = time;
        _random = random;
    }

    /// <summary>Every tier with failures not yet cleared.</summary>
    public ImmutableDictionary<string, CrashLoopState> Tiers
    {
        get
        {
            lock (_gate)
            {
                return _tiers;
            }
        }
    }

    /// <summary>Records that a server of the tier failed (exited, or never became healthy) and returns when to launch the next.</summary>
    public CrashLoopVerdict RecordFailure(string tier)
    {
        ArgumentException.ThrowIfNullOrEmpty(tier);
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var failures = (_tiers.TryGetValue(tier, out var previous) ? previous.ConsecutiveFailures : 0) + 1;
            var delay = Delay(failures);
            var crashLooping = failures >= _options.CrashLoopAfter;
            var state = new CrashLoopState(failures, now, now + delay, crashLooping);
            _tiers = _tiers.SetItem(tier, state);
            return new CrashLoopVerdict(state, delay, EnteredCrashLoop: crashLooping && previous?.CrashLooping != true);
        }
    }

    /// <summary>
    /// Records that a server of the tier has been in service since <paramref name="since"/>. Once that is
    /// <see cref="CrashLoopBackoffOptions.StableAfter"/> ago, the tier's failures are cleared. Returns true when this
    /// ended a crash loop, so the controller can say the tier recovered.
    /// </summary>
    public bool RecordInService(string tier, DateTimeOffset since)
    {
        ArgumentException.ThrowIfNullOrEmpty(tier);
        lock (_gate)
        {
            if (!_tiers.TryGetValue(tier, out var state) || _time.GetUtcNow() - since < _options.StableAfter)
            {
                return false;
            }

            _tiers = _tiers.Remove(tier);
            return state.CrashLooping;
        }
    }

    /// <summary>True when a server of the tier may be launched now.</summary>
    public bool CanLaunch(string tier) => RemainingWait(tier) == TimeSpan.Zero;

    /// <summary>How long until a server of the tier may be launched; zero when it may be now.</summary>
    public TimeSpan RemainingWait(string tier)
    {
        ArgumentException.ThrowIfNullOrEmpty(tier);
        var remaining = Tiers.TryGetValue(tier, out var state) ? state.NextLaunchAt - _time.GetUtcNow() : TimeSpan.Zero;
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    /// <summary>Forgets a tier, e.g. when it is deleted or its image is replaced.</summary>
    public void Forget(string tier)
    {
        ArgumentException.ThrowIfNullOrEmpty(tier);
        lock (_gate)
        {
            _tiers = _tiers.Remove(tier);
        }
    }

    private TimeSpan Delay(int failures)
    {
        // Capping the exponent keeps the double far from overflow; MaxDelay caps the result anyway.
        var exponential = _options.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 40));
        var capped = Math.Min(exponential, _options.MaxDelay.TotalMilliseconds);
        var jittered = capped * (1 - (_options.JitterFactor * _random.NextDouble()));
        return TimeSpan.FromMilliseconds(jittered);
    }
}

/// <summary>A tier's run of failures.</summary>
/// <param name="ConsecutiveFailures">Failures since the tier last had a server stay in service.</param>
/// <param name="LastFailureAt">When the last one happened.</param>
/// <param name="NextLaunchAt">No server of the tier is launched before this.</param>
/// <param name="CrashLooping">True from <see cref="CrashLoopBackoffOptions.CrashLoopAfter"/> failures on.</param>
public sealed record CrashLoopState(int ConsecutiveFailures, DateTimeOffset LastFailureAt, DateTimeOffset NextLaunchAt, bool CrashLooping);

/// <summary>What a failure means for the tier.</summary>
/// <param name="State">The tier's state after the failure.</param>
/// <param name="Delay">The wait before the next launch.</param>
/// <param name="EnteredCrashLoop">True only for the failure that made the tier crash-loop: raise the event now.</param>
public sealed record CrashLoopVerdict(CrashLoopState State, TimeSpan Delay, bool EnteredCrashLoop);
