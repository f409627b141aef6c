namespace Strata.Common.Processes;

/// <summary>
/// One process, recognised across restarts of whoever started it: its pid, its start time (which tells it from a
/// later process given the same pid) and a marker variable in its environment (which tells it is one of ours).
/// </summary>
/// <param name="Pid">The process id.</param>
/// <param name="StartTime">Its start time in clock ticks since boot (field 22 of <c>/proc/&lt;pid&gt;/stat</c>).</param>
/// <param name="MarkerVariable">The environment variable that marks it, e.g. <c>STRATA_MARKER</c>.</param>
/// <param name="Marker">The value the variable has in it, e.g. the server's id.</param>
public sealed record ProcessIdentity(int Pid, long StartTime, string MarkerVariable, string Marker)
{
    /// <summary>The identity of the live process <paramref name="pid"/> when it carries the marker, otherwise null.</summary>
    public static ProcessIdentity? Adopt(int pid, string markerVariable, string marker) =>
        ProcessStat.Read(pid) is { IsAlive: true } stat && new ProcessIdentity(pid, stat.StartTime, markerVariable, marker) is var identity && identity.IsRunning()
            ? identity
            : null;

    /// <summary>True when the process runs, started at <see cref="StartTime"/> and carries the marker: ours to signal.</summary>
    public bool IsRunning() => !HasExited() && ProcessEnvironment.Contains(Pid, MarkerVariable, Marker);

    /// <summary>
    /// True when the process has exited: it is gone from <c>/proc</c>, a zombie or dead, or its pid names a later
    /// process. The marker is not asked: an exiting process loses its environment before it leaves <c>/proc</c>, and
    /// may hold its listening sockets until then.
    /// </summary>
    public bool HasExited() => Pid <= 0 || ProcessStat.Read(Pid) is not { IsAlive: true } stat || stat.StartTime != StartTime;
}
