using System.Globalization;
using System.Text;

namespace Strata.Providers.Local;

/// <summary>What <c>/proc/&lt;pid&gt;/stat</c> says about a process.</summary>
/// <param name="State">The state letter: R, S, D, Z (zombie), X (dead), …</param>
/// <param name="ProcessGroup">The process group id.</param>
/// <param name="StartTime">Start time in clock ticks since boot.</param>
/// <param name="ParentId">The parent's pid.</param>
internal readonly record struct ProcessStat(char State, int ProcessGroup, long StartTime, int ParentId)
{
    public bool IsAlive => State is not ('Z' or 'X' or 'x');
}

/// <summary>Reads process facts from <c>/proc</c>, which is how servers are recognised after a restart.</summary>
internal static class ProcFs
{
    /// <summary>The environment variable that tags a server's processes with the server id.</summary>
    public const string MarkerVariable = "STRATA_MARKER";

    public static ProcessStat? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state), so field N is fields[N - 3].
        return new ProcessStat(
            fields[0][0],
            int.Parse(fields[5 - 3], CultureInfo.InvariantCulture),
            long.Parse(fields[22 - 3], CultureInfo.InvariantCulture),
            int.Parse(fields[4 - 3], CultureInfo.InvariantCulture));
    }

    /// <summary>True when the process's environment holds <c>STRATA_MARKER=&lt;marker&gt;</c>.</summary>
    public static bool HasMarker(int pid, string marker)
    {
        byte[] environ;
        try
        {
            environ = File.ReadAllBytes($"/proc/{pid}/environ");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return false;
        }

        var wanted = Encoding.UTF8.GetBytes($"{MarkerVariable}={marker}\0");
        var span = environ.AsSpan();
        while (span.Length > 0)
        {
            if (span.StartsWith(wanted) || span.SequenceEqual(wanted.AsSpan(0, wanted.Length - 1)))
            {
                return true;
            }

            var next = span.IndexOf((byte)0);
            if (next < 0)
            {
                return false;
            }

            span = span[(next + 1)..];
        }

        return false;
    }

    /// <summary>True when <paramref name="pid"/> is alive, started at <paramref name="startTime"/> and carries the marker.</summary>
    public static bool IsSameProcess(int pid, long startTime, string marker) =>
        ReadStat(pid) is { IsAlive: true } stat && stat.StartTime == startTime && HasMarker(pid, marker);

    /// <summary>Live processes of a group that carry the marker; other processes are never reported, so never signalled.</summary>
    public static List<int> MarkedGroupMembers(int processGroup, string marker) =>
        [.. Pids().Where(pid => ReadStat(pid) is { IsAlive: true } stat && stat.ProcessGroup == processGroup && HasMarker(pid, marker))];

    /// <summary>The live process that leads its own group and carries the marker, if any.</summary>
    public static (int Pid, long StartTime)? FindGroupLeader(string marker)
    {
        foreach (var pid in Pids())
        {
            if (ReadStat(pid) is { IsAlive: true } stat && stat.ProcessGroup == pid && HasMarker(pid, marker))
            {
                return (pid, stat.StartTime);
            }
        }

        return null;
    }

    /// <summary>
    /// True when the process's working directory, root or an open file lies inside one of <paramref name="folders"/>
    /// (full paths with symbolic links resolved, as the kernel reports them).
    /// </summary>
    public static bool Uses(int pid, IReadOnlyList<string> folders)
    {
        try
        {
            var links = new[] { $"/proc/{pid}/cwd", $"/proc/{pid}/root" }.Concat(Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"));
            return links.Select(ReadLink).OfType<string>().Any(target => folders.Any(f => IsInside(target, f)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process ended while it was read, or belongs to someone else (whose files we could not open either).
            return false;
        }
    }

    private static string? ReadLink(string link)
    {
        try
        {
            return new FileInfo(link).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsInside(string path, string folder) =>
        path == folder || path.StartsWith(folder.EndsWith('/') ? folder : folder + "/", StringComparison.Ordinal);

    public static IEnumerable<int> Pids()
    {
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }
}
