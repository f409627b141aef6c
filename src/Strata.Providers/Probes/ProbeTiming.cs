namespace Strata.Providers.Probes;

/// <summary>
/// Whether a probe that timed out tells anything about the server. The control plane shares the machine with the
/// servers it runs: when it is starved of CPU, a probe starts late, its answer waits in a socket nobody reads and its
/// timeout fires late, and the server is blamed for the control plane's delay. A timeout is inconclusive when the
/// probe started late by more than half the timeout, or took half as long again as the timeout to end: in both
/// cases the control plane itself was not running on time. Such a probe is neither a pass nor a failure; the server
/// is probed again.
/// </summary>
public static class ProbeTiming
{
    /// <summary>The share of the timeout a probe may start late before its timeout no longer counts.</summary>
    public const double LateStartShare = 0.5;

    /// <summary>How many timeouts a timed-out probe may take to end before its timeout no longer counts.</summary>
    public const double OverrunFactor = 1.5;

    /// <param name="result">The probe's result.</param>
    /// <param name="lateStart">How much later than scheduled the probe started.</param>
    /// <param name="took">How long the probe took, timeout included.</param>
    /// <param name="timeout">The check's timeout.</param>
    public static bool IsInconclusive(ProbeResult result, TimeSpan lateStart, TimeSpan took, TimeSpan timeout) =>
        result is { Passed: false, TimedOut: true } && (lateStart > timeout * LateStartShare || took > timeout * OverrunFactor);
}
