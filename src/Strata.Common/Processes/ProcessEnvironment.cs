using System.Text;

namespace Strata.Common.Processes;

/// <summary>Reads another process's environment from <c>/proc/&lt;pid&gt;/environ</c> (readable by its owner only).</summary>
public static class ProcessEnvironment
{
    // An exec lasts microseconds; a loaded machine may hold one up for a while, but not for this long.
    private const long ExecWaitLimitMs = 1000;

    /// <summary>
    /// True when the process's environment holds <c>name=value</c>. False when it does not, when the process is gone,
    /// belongs to someone else, or is exiting: an exiting process loses its environment before it leaves <c>/proc</c>.
    /// </summary>
    public static bool Contains(int pid, string name, string value) => Values(pid, name) is [var found] && found == value;

    /// <summary>
    /// The values of <paramref name="names"/> in the process's environment, in order (null for a name it does not
    /// have), read at once; null when the environment cannot be read (as for <see cref="Contains"/>).
    /// </summary>
    public static string?[]? Values(int pid, params ReadOnlySpan<string> names)
    {
        if (Read(pid) is not { } environ)
        {
            return null;
        }

        var prefixes = new byte[names.Length][];
        for (var i = 0; i < names.Length; i++)
        {
            prefixes[i] = Encoding.UTF8.GetBytes(names[i] + "=");
        }

        var values = new string?[names.Length];
        foreach (var range in ((ReadOnlySpan<byte>)environ).Split((byte)0))
        {
            var entry = environ.AsSpan(range);
            for (var i = 0; i < prefixes.Length; i++)
            {
                if (values[i] is null && entry.StartsWith(prefixes[i]))
                {
                    values[i] = Encoding.UTF8.GetString(entry[prefixes[i].Length..]);
                }
            }
        }

        return values;
    }

    /// <summary>
    /// The raw environment, re-read while the process is in the middle of an exec. An exec gives the process its new
    /// memory before it lays its arguments and environment out in it, and for that moment the environment reads empty,
    /// as it does for a process that is exiting: a process seen then would be taken for one without its marker, to be
    /// started again or left unstopped. Its arguments read empty too, which tells it from a process whose environment
    /// is truly empty; the wait is bounded in case the exec stalls.
    /// </summary>
    private static byte[]? Read(int pid)
    {
        var giveUpAt = Environment.TickCount64 + ExecWaitLimitMs;
        var spinner = default(SpinWait);
        var emptyWithArguments = 0;
        while (true)
        {
            var environ = ReadProcFile(pid, "environ");
            if (environ is not [] || ProcessStat.Read(pid) is not { IsExiting: false } || Environment.TickCount64 >= giveUpAt)
            {
                return environ;
            }

            if (ReadProcFile(pid, "cmdline") is [])
            {
                emptyWithArguments = 0;
                spinner.SpinOnce();
            }
            else if (++emptyWithArguments == EmptyReadsToBelieve)
            {
                return environ;
            }

            // Otherwise no exec was under way when the arguments were read: the environment is empty, or an exec
            // ended between the two reads, or (a shell that execs again at once) one began between them. Only an
            // environment read empty each time, with the arguments read there each time, is taken to be empty.
        }
    }

    // Each read of an empty environment with its arguments there: a process that execs again and again lands a read
    // in an exec, and the next just after it, now and then on a loaded machine (1 in 10,000); never thrice in a row.
    private const int EmptyReadsToBelieve = 3;

    private static byte[]? ReadProcFile(int pid, string name)
    {
        try
        {
            return File.ReadAllBytes($"/proc/{pid}/{name}");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
