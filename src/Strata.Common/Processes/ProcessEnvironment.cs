using System.Text;

namespace Strata.Common.Processes;

/// <summary>Reads another process's environment from <c>/proc/&lt;pid&gt;/environ</c> (readable by its owner only).</summary>
public static class ProcessEnvironment
{
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
        byte[] environ;
        try
        {
            environ = File.ReadAllBytes($"/proc/{pid}/environ");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
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
}
