using System.Globalization;
using Strata.Common.Processes;

namespace Strata.Cli;

/// <summary>
/// Where a command's own time goes, for profiling: with <c>STRATA_TIMINGS=1</c> in the environment each step is one
/// line on stderr, <c>strata: timing +183 ms 2026-12-05T06:43:20.298Z applied (serial 4)</c>, the milliseconds counted
/// from the process's start (as the kernel recorded it, so the runtime's own start is included) and the wall-clock
/// time to match the deployment's events. Off (the default), a mark costs one null check.
/// </summary>
public sealed class CliTimeline
{
    /// <summary>The environment variable that turns the marks on when it is <c>1</c>.</summary>
    public const string Variable = "STRATA_TIMINGS";

    private readonly TextWriter? _writer;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _processStart;

    /// <param name="writer">Where the marks go; null for none.</param>
    /// <param name="time">The clock the marks are read from.</param>
    /// <param name="processStart">When the process started, the zero of every mark.</param>
    public CliTimeline(TextWriter? writer, TimeProvider time, DateTimeOffset processStart)
    {
        _writer = writer;
        _time = time;
        _processStart = processStart;
    }

    /// <summary>No marks.</summary>
    public static CliTimeline Off { get; } = new(null, TimeProvider.System, DateTimeOffset.MinValue);

    /// <summary>Marks on <paramref name="error"/> when <see cref="Variable"/> is <c>1</c>, else <see cref="Off"/>.</summary>
    public static CliTimeline FromEnvironment(TextWriter error)
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
        {
            return Off;
        }

        var now = TimeProvider.System.GetUtcNow();
        var timeline = new CliTimeline(error, TimeProvider.System, now - (ProcessAge() ?? TimeSpan.Zero));
        timeline.Mark("process started", at: timeline._processStart);
        return timeline;
    }

    /// <summary>Writes one mark, now (or at <paramref name="at"/>), when marks are on.</summary>
    public void Mark(string step, DateTimeOffset? at = null)
    {
        if (_writer is null)
        {
            return;
        }

        var when = at ?? _time.GetUtcNow();
        var elapsed = (when - _processStart).TotalMilliseconds;
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"strata: timing +{elapsed:0} ms {when.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ} {step}"));
    }

    /// <summary>
    /// How long ago this process started: the system's uptime less the process's start time since boot, both in
    /// <c>/proc</c> at a resolution of 10 ms (clock ticks of 1/100 s, as on every Linux build Strata runs on). Null
    /// when <c>/proc</c> cannot be read.
    /// </summary>
    private static TimeSpan? ProcessAge()
    {
        const double ticksPerSecond = 100;
        try
        {
            var uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
            return ProcessStat.StartTimeOf(Environment.ProcessId) is { } started
                ? TimeSpan.FromSeconds(Math.Max(0, uptime - started / ticksPerSecond))
                : null;
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
