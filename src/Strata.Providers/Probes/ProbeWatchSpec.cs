namespace Strata.Providers.Probes;

/// <summary>
/// An http or tcp check of one server run where the server runs, by its host's agent, which sends back only the
/// results that can change a verdict (see <see cref="ProbeReportFilter"/>): a control plane that probed 200 servers on
/// five hosts every 2 s itself spent 8 % of a core on it, nearly all in the kernel's connection handling.
/// </summary>
public sealed record ProbeWatchSpec
{
    public required SocketProbeKind Kind { get; init; }

    /// <summary>The server's address, as the control plane would probe it.</summary>
    public required string Address { get; init; }

    public required int Port { get; init; }

    /// <summary>The path an http check asks for.</summary>
    public string Path { get; init; } = "/";

    /// <summary>The time between probes.</summary>
    public required TimeSpan Interval { get; init; }

    /// <summary>How long a probe may take.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>
    /// The time between probes until the server first passes <see cref="HealthyAfter"/> in a row, when shorter than
    /// <see cref="Interval"/>: a new server goes into service as soon as it answers. Null for <see cref="Interval"/>.
    /// </summary>
    public TimeSpan? BootInterval { get; init; }

    /// <summary>Passes in a row that make a server healthy.</summary>
    public int HealthyAfter { get; init; } = 1;

    /// <summary>Failures in a row that make a server unhealthy.</summary>
    public int UnhealthyAfter { get; init; } = 1;

    /// <summary>The grid of the server's stable offset within <see cref="Interval"/> (see <see cref="ProbePhase"/>).</summary>
    public TimeSpan SpreadStep { get; init; } = TimeSpan.FromMilliseconds(10);
}

/// <summary>
/// Which results of a watched check are worth sending: every result until <c>max(healthyAfter, unhealthyAfter)</c>
/// alike in a row, then none until one differs. Thresholds are crossed only within the first that many results of a
/// run, so whoever counts the results sent reaches the verdicts it would have reached seeing them all; a server that
/// stays healthy costs nothing on the wire. It also tells when the server first passed <c>healthyAfter</c> in a row
/// (<see cref="Booted"/>), after which the boot interval no longer applies.
/// </summary>
public readonly record struct ProbeReportFilter(int HealthyAfter, int UnhealthyAfter)
{
    /// <summary>The last result counted; null before the first.</summary>
    public bool? LastPassed { get; init; }

    /// <summary>How many results alike <see cref="LastPassed"/> came in a row.</summary>
    public int InARow { get; init; }

    /// <summary>True once the server has passed <see cref="HealthyAfter"/> in a row.</summary>
    public bool Booted { get; init; }

    /// <summary>Counts a result; <c>Send</c> says whether it is to be sent.</summary>
    public (ProbeReportFilter Next, bool Send) Record(bool passed)
    {
        var inARow = LastPassed == passed ? InARow + 1 : 1;
        var next = this with { LastPassed = passed, InARow = inARow, Booted = Booted || (passed && inARow >= HealthyAfter) };
        return (next, inARow <= Math.Max(1, Math.Max(HealthyAfter, UnhealthyAfter)));
    }
}
