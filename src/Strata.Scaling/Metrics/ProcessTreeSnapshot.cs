namespace Strata.Scaling.Metrics;

/// <summary>CPU time and resident memory of some process trees at one moment, taken by <see cref="ProcessTreeSampler"/>.</summary>
public sealed record ProcessTreeSnapshot
{
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The machine's memory (<c>MemTotal</c> of <c>/proc/meminfo</c>) in bytes.</summary>
    public required long MemoryTotalBytes { get; init; }

    /// <summary>The unit of <see cref="ProcessTicks.CpuTicks"/>, in ticks per second.</summary>
    public required int ClockTicksPerSecond { get; init; }

    /// <summary>The trees whose root process was alive, by root pid.</summary>
    public required IReadOnlyDictionary<int, ProcessTreeUsage> Trees { get; init; }

    /// <summary>
    /// The CPU used by a tree between an earlier snapshot and this one, in percent of one core: a process that keeps
    /// two cores busy measures 200. Null when the tree is missing from either snapshot or no time has passed.
    /// </summary>
    /// <remarks>
    /// Processes are matched by pid and start time, so a pid reused in between is counted as a new process; a process
    /// that started in between counts with all its CPU time. A descendant that exited in between is no longer
    /// visible, so its last share of CPU time is missed.
    /// </remarks>
    public double? CpuPercentSince(ProcessTreeSnapshot earlier, int rootPid)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        var elapsed = Timestamp - earlier.Timestamp;
        if (elapsed <= TimeSpan.Zero || !Trees.TryGetValue(rootPid, out var now) || !earlier.Trees.TryGetValue(rootPid, out var before))
        {
            return null;
        }

        long ticks = 0;
        foreach (var (pid, process) in now.Processes)
        {
            var same = before.Processes.TryGetValue(pid, out var was) && was.StartTicks == process.StartTicks;
            ticks += same ? Math.Max(0, process.CpuTicks - was!.CpuTicks) : process.CpuTicks;
        }

        return ticks / (double)ClockTicksPerSecond / elapsed.TotalSeconds * 100;
    }

    /// <summary>A tree's resident memory in percent of the machine's memory, or null when the tree is missing.</summary>
    public double? MemoryPercent(int rootPid) =>
        Trees.TryGetValue(rootPid, out var tree) && MemoryTotalBytes > 0 ? tree.ResidentBytes * 100.0 / MemoryTotalBytes : null;

    /// <summary>One server's CPU and memory between an earlier snapshot and this one, or null when its tree is missing from either.</summary>
    public ServerMetrics? MeasureServer(string server, int rootPid, ProcessTreeSnapshot earlier) =>
        CpuPercentSince(earlier, rootPid) is { } cpu && Trees.TryGetValue(rootPid, out var tree)
            ? new ServerMetrics(server, cpu, tree.ResidentBytes, MemoryPercent(rootPid) ?? 0)
            : null;
}

/// <summary>A process and all its descendants.</summary>
public sealed record ProcessTreeUsage
{
    public required int RootPid { get; init; }

    /// <summary>Every process of the tree, the root included, by pid.</summary>
    public required IReadOnlyDictionary<int, ProcessTicks> Processes { get; init; }

    /// <summary>User plus system CPU time of the tree's processes, in clock ticks.</summary>
    public long CpuTicks => Processes.Values.Sum(p => p.CpuTicks);

    /// <summary>Resident memory (VmRSS) of the tree's processes, in bytes; pages shared between them count once per process.</summary>
    public long ResidentBytes => Processes.Values.Sum(p => p.ResidentBytes);
}

/// <summary>One process in a snapshot.</summary>
/// <param name="CpuTicks">User plus system CPU time (utime + stime), in clock ticks.</param>
/// <param name="StartTicks">When the process started, in clock ticks after boot; tells a reused pid apart.</param>
/// <param name="ResidentBytes">Resident memory, in bytes.</param>
public sealed record ProcessTicks(long CpuTicks, long StartTicks, long ResidentBytes);
