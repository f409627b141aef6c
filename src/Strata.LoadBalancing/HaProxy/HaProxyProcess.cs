using System.Diagnostics;
using System.Globalization;
using Strata.Common.Processes;
using Strata.LoadBalancing.Proxy;

namespace Strata.LoadBalancing.HaProxy;

/// <summary>Starts haproxy detached from the control plane, recognises it later, and stops it.</summary>
internal static class HaProxyProcess
{
    private static readonly string[] s_systemFolders = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

    /// <summary>The full path of the program, or null when it is not found.</summary>
    /// <param name="program">A program's name, looked up in the folders of PATH, or a path.</param>
    /// <param name="searchPath">The folders to search, as in PATH; null for this process's PATH.</param>
    public static string? Resolve(string program, string? searchPath = null)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? program : null;
        }

        // Debian installs haproxy in /usr/sbin, which an ordinary user's PATH lacks: look there after PATH.
        var path = searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(s_systemFolders)
            .Select(d => Path.Combine(d, program))
            .FirstOrDefault(File.Exists);
    }

    /// <param name="replacing">
    /// The pid of a running haproxy of the same load balancer to reload: the new one takes its listening sockets over
    /// the Runtime API socket (<c>-x</c>, allowed by <c>expose-fd listeners</c>) and tells it to finish and exit (<c>-sf</c>).
    /// </param>
    public static Process Start(string haproxy, string id, HaProxyFiles files, int? replacing = null)
    {
        // -D daemonizes haproxy after it bound its listeners, so the launcher's exit code says whether it started
        // and the pid file says which process serves.
        string[] reload = replacing is { } pid ? ["-x", files.Socket, "-sf", pid.ToString(CultureInfo.InvariantCulture)] : [];
        var environment = ChildEnvironment.Basics();
        environment[ProxyFiles.MarkerVariable] = id;
        return ProcessSupervisor.StartDetached(
            "strata-haproxy", [haproxy, "-D", "-f", files.Config, "-p", files.PidFile, .. reload], files.Folder, files.Log, environment);
    }

    /// <summary>The pid haproxy wrote, or 0.</summary>
    public static int ReadPid(HaProxyFiles files)
    {
        try
        {
            return int.TryParse(File.ReadAllText(files.PidFile).Trim(), out var pid) ? pid : 0;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>The start time of the haproxy that wrote <paramref name="pid"/> when it carries the marker of load balancer <paramref name="id"/>, otherwise 0.</summary>
    public static long StartTimeOf(int pid, string id) => ProcessIdentity.Adopt(pid, ProxyFiles.MarkerVariable, id)?.StartTime ?? 0;

    public static bool IsRunning(HaProxyStateDocument state) => IdentityOf(state).IsRunning();

    /// <summary>Soft-stops haproxy (it closes its listeners and lets sessions finish); kills it after <paramref name="timeout"/>.</summary>
    /// <returns>True when it stopped by itself.</returns>
    public static Task<bool> StopAsync(HaProxyStateDocument state, TimeSpan timeout, TimeProvider timeProvider, CancellationToken ct) =>
        ProcessSupervisor.StopAsync(IdentityOf(state), ProcessSignals.User1, timeout, timeProvider, ct);

    private static ProcessIdentity IdentityOf(HaProxyStateDocument state) => ProxyFiles.IdentityOf(state.ProcessId, state.ProcessStartTime, state.Id);
}
