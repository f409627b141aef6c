using System.Globalization;

namespace Strata.Common.Processes;

/// <summary>What <c>/proc/&lt;pid&gt;/stat</c> says about a process.</summary>
/// <param name="State">The state letter: R, S, D, T, Z (zombie), X (dead), …</param>
/// <param name="ParentId">The parent's pid (field 4).</param>
/// <param name="ProcessGroup">The process group id (field 5).</param>
/// <param name="StartTime">When the process started, in clock ticks since boot (field 22): with the pid, it names one process for the life of the machine.</param>
/// <param name="Flags">The kernel's flags of the process (field 9, <c>PF_*</c>).</param>
public readonly record struct ProcessStat(char State, int ParentId, int ProcessGroup, long StartTime, uint Flags = 0)
{
    // PF_EXITING: set as the process starts to exit, before it gives up its memory.
    private const uint ExitingFlag = 0x4;

    /// <summary>False for a zombie or a dead process: it has exited, whether or not its parent has reaped it.</summary>
    public bool IsAlive => State is not ('Z' or 'X' or 'x');

    /// <summary>True once the process has begun to exit (it may not be a zombie yet).</summary>
    public bool IsExiting => !IsAlive || (Flags & ExitingFlag) != 0;

    /// <summary>The start time of the live process <paramref name="pid"/>, or null when it is gone, a zombie or dead.</summary>
    public static long? StartTimeOf(int pid) => Read(pid) is { IsAlive: true } stat ? stat.StartTime : null;

    /// <summary>The process's stat, or null when there is no process <paramref name="pid"/>.</summary>
    public static ProcessStat? Read(int pid)
    {
        if (pid <= 0)
        {
            return null;
        }

        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return Parse(text);
    }

    /// <summary>Reads the text of a stat file; null when it is cut short (the process was vanishing as it was read).</summary>
    public static ProcessStat? Parse(string text)
    {
        // The command name (field 2) is in parentheses and may itself hold spaces or ')': fields[0] is field 3.
        var close = text.LastIndexOf(')');
        var fields = close < 0 || close + 2 > text.Length ? [] : text[(close + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0].Length == 0)
        {
            return null;
        }

        return new ProcessStat(
            fields[0][0],
            int.Parse(fields[4 - 3], CultureInfo.InvariantCulture),
            int.Parse(fields[5 - 3], CultureInfo.InvariantCulture),
            long.Parse(fields[22 - 3], CultureInfo.InvariantCulture),
            uint.Parse(fields[9 - 3], CultureInfo.InvariantCulture));
    }
}
