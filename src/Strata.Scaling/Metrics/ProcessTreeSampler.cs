using System.Globalization;

namespace Strata.Scaling.Metrics;

/// <summary>
/// Measures the CPU time and resident memory of process trees (a server's process and everything it started) from
/// <c>/proc</c>. One sample reads every <c>/proc/[pid]/stat</c> once, whatever the number of trees, and links
/// descendants through their parent pid; CPU is then compared between two samples with
/// <see cref="ProcessTreeSnapshot.CpuPercentSince"/>.
/// </summary>
public sealed class ProcessTreeSampler
{
    // Fields of /proc/[pid]/stat counted from the one after the command name, which may itself hold spaces and ')'.
    private const int ParentField = 1;
    private const int UserTimeField = 11;
    private const int SystemTimeField = 12;
    private const int StartTimeField = 19;
    private const int ResidentPagesField = 21;

    private readonly ProcessTreeSamplerOptions _options;
    private readonly TimeProvider _time;

    public ProcessTreeSampler(ProcessTreeSamplerOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (options.Validate() is { Count: > 0 } errors)
        {
            throw new ArgumentException($"Invalid process sampler options: {string.Join("; ", errors)}", nameof(options));
        }

        _options = options;
        _time = time;
    }

    /// <summary>Samples the trees under the given root pids; a root that is not running is left out of the result.</summary>
    public ProcessTreeSnapshot Sample(IEnumerable<int> rootPids)
    {
        ArgumentNullException.ThrowIfNull(rootPids);
        var processes = ReadProcesses();
        var children = processes.ToLookup(p => p.Value.Parent, p => p.Key);
        var trees = new Dictionary<int, ProcessTreeUsage>();
        foreach (var root in rootPids.Distinct())
        {
            if (processes.ContainsKey(root))
            {
                trees[root] = new ProcessTreeUsage { RootPid = root, Processes = CollectTree(root, processes, children) };
            }
        }

        return new ProcessTreeSnapshot
        {
            Timestamp = _time.GetUtcNow(),
            MemoryTotalBytes = ReadMemoryTotal(),
            ClockTicksPerSecond = _options.ClockTicksPerSecond,
            Trees = trees,
        };
    }

    private static Dictionary<int, ProcessTicks> CollectTree(int root, Dictionary<int, ProcessEntry> processes, ILookup<int, int> children)
    {
        var tree = new Dictionary<int, ProcessTicks>();
        var pending = new Stack<int>([root]);
        while (pending.TryPop(out var pid))
        {
            // A pid can be seen twice only through a parent loop, which a racing pid reuse could fake.
            if (tree.TryAdd(pid, processes[pid].Ticks))
            {
                foreach (var child in children[pid])
                {
                    pending.Push(child);
                }
            }
        }

        return tree;
    }

    private Dictionary<int, ProcessEntry> ReadProcesses()
    {
        var result = new Dictionary<int, ProcessEntry>();
        foreach (var directory in Directory.EnumerateDirectories(_options.ProcRoot))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ReadStat(Path.Combine(directory, "stat")) is { } entry)
            {
                result[pid] = entry;
            }
        }

        return result;
    }

    private static ProcessEntry? ReadStat(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            // The process exited between listing /proc and reading its stat file.
            return null;
        }

        var fields = text[(text.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length <= ResidentPagesField)
        {
            throw new InvalidDataException($"{path} has {fields.Length} fields after the command name; expected more than {ResidentPagesField}");
        }

        long Field(int index) => long.Parse(fields[index], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var ticks = new ProcessTicks(
            Field(UserTimeField) + Field(SystemTimeField),
            Field(StartTimeField),
            Field(ResidentPagesField) * Environment.SystemPageSize);
        return new ProcessEntry((int)Field(ParentField), ticks);
    }

    private long ReadMemoryTotal()
    {
        var path = Path.Combine(_options.ProcRoot, "meminfo");
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidDataException($"{path} has no MemTotal line");
    }

    private sealed record ProcessEntry(int Parent, ProcessTicks Ticks);
}
