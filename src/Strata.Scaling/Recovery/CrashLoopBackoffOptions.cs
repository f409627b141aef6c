namespace Strata.Scaling;

/// <summary>Options of <see cref="CrashLoopBackoff"/>.</summary>
public sealed class CrashLoopBackoffOptions
{
    /// <summary>The wait after the first failure; it doubles with each further consecutive failure.</summary>
    /// <value>The default is 1 second.</value>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between launches, jitter included.</summary>
    /// <value>The default is 5 minutes.</value>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Up to this fraction of each wait is taken off at random, so tiers failing together do not relaunch together.</summary>
    /// <value>The default is 0.2: a wait of 10 s becomes 8 to 10 s.</value>
    public double JitterFactor { get; init; } = 0.2;

    /// <summary>A server in service this long proves the image works: the tier's failures are forgotten.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Consecutive failures at which the tier is reported as crash-looping.</summary>
    /// <value>The default is 3.</value>
    public int CrashLoopAfter { get; init; } = 3;

    /// <summary>Every problem with these options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (BaseDelay <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(BaseDelay)} must be positive, not {BaseDelay}");
        }

        if (MaxDelay < BaseDelay)
        {
            errors.Add($"{nameof(MaxDelay)} ({MaxDelay}) must be at least {nameof(BaseDelay)} ({BaseDelay})");
        }

        if (JitterFactor is < 0 or > 1)
        {
            errors.Add($"{nameof(JitterFactor)} must be from 0 to 1, not {JitterFactor}");
        }

        if (StableAfter < TimeSpan.Zero)
        {
            errors.Add($"{nameof(StableAfter)} must not be negative, not {StableAfter}");
        }

        if (CrashLoopAfter < 1)
        {
            errors.Add($"{nameof(CrashLoopAfter)} must be at least 1, not {CrashLoopAfter}");
        }

        return errors;
    }
}
