namespace Strata.Scaling.Metrics;

/// <summary>Options of <see cref="ProcessTreeSampler"/>.</summary>
public sealed class ProcessTreeSamplerOptions
{
    /// <summary>Where the proc filesystem is mounted.</summary>
    /// <value>The default is <c>/proc</c>.</value>
    public string ProcRoot { get; init; } = "/proc";

    /// <summary>
    /// The unit of the CPU times in <c>/proc/[pid]/stat</c> (USER_HZ, <c>getconf CLK_TCK</c>), in ticks per second.
    /// </summary>
    /// <value>The default is 100, the value of USER_HZ on every architecture Linux and .NET share.</value>
    public int ClockTicksPerSecond { get; init; } = 100;

    /// <summary>Every problem with these options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ProcRoot))
        {
            errors.Add($"{nameof(ProcRoot)} must not be empty");
        }

        if (ClockTicksPerSecond <= 0)
        {
            errors.Add($"{nameof(ClockTicksPerSecond)} must be positive, not {ClockTicksPerSecond}");
        }

        return errors;
    }
}
