using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Strata.LoadBalancing.Proxy;

namespace Strata.LoadBalancing.HaProxy;

/// <summary>Starts haproxy detached from the control plane, recognises it later, and stops it.</summary>
internal static class HaProxyProcess
{
    private const int Sigusr1 = 10;
    private const int Sigkill = 9;
    private static readonly string[] s_systemFolders = ["/usr/local/sbin", "/usr/sbin", "/sbin"];
    private const int LogTailBytes = 4096;

    // setsid gives haproxy a session of its own so it outlives the control plane; -D daemonizes it after it bound its
    // listeners, so the launcher's exit code says whether it started and the pid file says which process serves.
    private const string Launcher = "exec \"$@\" </dev/null >>\"$STRATA_LB_LOG\" 2>&1";

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
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = files.Folder };
        string[] reload = replacing is { } pid ? ["-x", files.Socket, "-sf", pid.ToString(CultureInfo.InvariantCulture)] : [];
        foreach (var argument in (string[])["sh", "-c", Launcher, "strata-haproxy", haproxy, "-D", "-f", files.Config, "-p", files.PidFile, .. reload])
        {
            start.ArgumentList.Add(argument);
        }

        ChildEnvironment.Reset(start);
        start.Environment[ProxyFiles.MarkerVariable] = id;
        start.Environment["STRATA_LB_LOG"] = files.Log;
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start haproxy for load balancer {id}.");
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

    public static bool IsRunning(HaProxyStateDocument state) =>
        ProcessIdentity.IsProxy(state.ProcessId, state.ProcessStartTime, state.Id);

    /// <summary>Soft-stops haproxy (it closes its listeners and lets sessions finish); kills it after <paramref name="timeout"/>.</summary>
    /// <returns>True when it stopped by itself.</returns>
    public static async Task<bool> StopAsync(HaProxyStateDocument state, TimeSpan timeout, TimeProvider timeProvider, CancellationToken ct)
    {
        if (!IsRunning(state) || Kill(state.ProcessId, Sigusr1) != 0)
        {
            return true;
        }

        if (await WaitForExitAsync(state, timeout, timeProvider, ct).ConfigureAwait(false))
        {
            return true;
        }

        Kill(state.ProcessId, Sigkill);
        await WaitForExitAsync(state, timeout, timeProvider, ct).ConfigureAwait(false);
        return false;
    }

    /// <summary>The last non-empty line of haproxy's output, where it explains why it did not start.</summary>
    public static string? LastLogLine(HaProxyFiles files)
    {
        try
        {
            using var stream = File.OpenRead(files.Log);
            stream.Seek(Math.Max(0, stream.Length - LogTailBytes), SeekOrigin.Begin);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd().Split('\n').LastOrDefault(line => !string.IsNullOrWhiteSpace(line))?.Trim();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static async Task<bool> WaitForExitAsync(HaProxyStateDocument state, TimeSpan timeout, TimeProvider timeProvider, CancellationToken ct)
    {
        var started = timeProvider.GetTimestamp();
        while (IsAlive(state))
        {
            if (timeProvider.GetElapsedTime(started) >= timeout)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), timeProvider, ct).ConfigureAwait(false);
        }

        return true;
    }

    // An exiting process loses its environment (so the marker check of IsRunning already fails) before it is gone from
    // /proc; until then it may still hold its listening socket, so waiting for the exit watches the start time alone.
    private static bool IsAlive(HaProxyStateDocument state) =>
        state.ProcessId > 0 && ProcessIdentity.TryReadStartTime(state.ProcessId) == state.ProcessStartTime;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int processId, int signal);
}
