using System.Text;

namespace Strata.Common.Processes;

/// <summary>Reads another process's environment from <c>/proc/&lt;pid&gt;/environ</c> (readable by its owner only).</summary>
public static class ProcessEnvironment
{
    /// <summary>
    /// True when the process's environment holds <c>name=value</c>. False when it does not, when the process is gone,
    /// belongs to someone else, or is exiting: an exiting process loses its environment before it leaves <c>/proc</c>.
    /// </summary>
    public static bool Contains(int pid, string name, string value)
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

        var wanted = Encoding.UTF8.GetBytes($"{name}={value}");
        foreach (var range in ((ReadOnlySpan<byte>)environ).Split((byte)0))
        {
            if (environ.AsSpan(range).SequenceEqual(wanted))
            {
                return true;
            }
        }

        return false;
    }
}
