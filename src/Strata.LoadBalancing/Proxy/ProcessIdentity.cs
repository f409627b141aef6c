using System.Globalization;

namespace Strata.LoadBalancing.Proxy;

/// <summary>Recognises a process across restarts of the control plane, from <c>/proc</c>.</summary>
internal static class ProcessIdentity
{
    /// <summary>The start time in clock ticks since boot, or null when the process is gone or a zombie.</summary>
    public static long? TryReadStartTime(int processId)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{processId}/stat");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0] is "Z" or "X")
        {
            return null;
        }

        return long.Parse(fields[19], CultureInfo.InvariantCulture);
    }

    /// <summary>True when the process runs, started at that time, and carries the marker for that load balancer.</summary>
    public static bool IsProxy(int processId, long startTime, string id)
    {
        if (processId <= 0 || TryReadStartTime(processId) != startTime)
        {
            return false;
        }

        try
        {
            var environment = File.ReadAllText($"/proc/{processId}/environ");
            return environment.Split('\0').Contains($"{ProxyFiles.MarkerVariable}={id}", StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
