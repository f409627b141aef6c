using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Strata.LoadBalancing.Proxy;

namespace Strata.LoadBalancing.BuiltIn;

/// <summary>Starts proxy processes detached from the control plane, recognises them later, and stops them.</summary>
internal static partial class ProxyProcess
{
    private const int Sigterm = 15;
    private const int LogTailBytes = 4096;

    // The shell appends the proxy's output to its log and then becomes the proxy (exec), and setsid puts it in a
    // session of its own, so it outlives the control plane and a Ctrl+C aimed at the control plane.
    private const string Launcher = "exec \"$@\" </dev/null >>\"$STRATA_LB_LOG\" 2>&1";

    // The .NET runtime reads these once, when the process opens its first socket, so only the launcher can set them.
    private const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    private const string EventThreadsVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    public static Process Start(BuiltInLoadBalancerOptions options, string id, ProxyFiles files)
    {
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = files.Folder };
        foreach (var argument in (string[])["sh", "-c", Launcher, "strata-proxy", .. options.ProxyCommand, "--config", files.Config])
        {
            start.ArgumentList.Add(argument);
        }

        ChildEnvironment.Reset(start);
        start.Environment[ProxyFiles.MarkerVariable] = id;
        start.Environment["STRATA_LB_LOG"] = files.Log;
        // Set or removed, never inherited from the control plane, so the options alone decide.
        SetOrRemove(start.Environment, InlineCompletionsVariable, options.InlineSocketCompletions ? "1" : null);
        SetOrRemove(
            start.Environment, EventThreadsVariable,
            options.SocketEventThreads > 0 ? options.SocketEventThreads.ToString(CultureInfo.InvariantCulture) : null);
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start the proxy for load balancer {id}.");
    }

    /// <summary>The state of the running proxy of <paramref name="id"/>, or null when none runs.</summary>
    public static ProxyStateDocument? FindRunning(string id, ProxyFiles files)
    {
        var state = ProxyFiles.TryRead(files.State, LoadBalancingJsonContext.Default.ProxyStateDocument);
        return state is { State: LoadBalancerState.Running } && ProcessIdentity.IsProxy(state.ProcessId, state.ProcessStartTime, id)
            ? state
            : null;
    }

    /// <summary>Asks the proxy to drain and stop; kills it when it is still there after <paramref name="timeout"/>.</summary>
    /// <returns>True when it stopped by itself.</returns>
    public static async Task<bool> StopAsync(ProxyStateDocument proxy, TimeSpan timeout, TimeProvider timeProvider, CancellationToken ct)
    {
        if (Kill(proxy.ProcessId, Sigterm) != 0)
        {
            return !IsAlive(proxy);
        }

        if (await WaitForExitAsync(proxy, timeout, timeProvider, ct).ConfigureAwait(false))
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(proxy.ProcessId);
            process.Kill();
        }
        catch (ArgumentException)
        {
            // Gone in the meantime.
        }

        await WaitForExitAsync(proxy, timeout, timeProvider, ct).ConfigureAwait(false);
        return false;
    }

    /// <summary>The last non-empty line of the proxy's log, where it explains why it exited.</summary>
    public static string? LastLogLine(ProxyFiles files)
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

    private static bool IsAlive(ProxyStateDocument proxy) => ProcessIdentity.TryReadStartTime(proxy.ProcessId) == proxy.ProcessStartTime;

    private static async Task<bool> WaitForExitAsync(ProxyStateDocument proxy, TimeSpan timeout, TimeProvider timeProvider, CancellationToken ct)
    {
        var started = timeProvider.GetTimestamp();
        while (IsAlive(proxy))
        {
            if (timeProvider.GetElapsedTime(started) >= timeout)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), timeProvider, ct).ConfigureAwait(false);
        }

        return true;
    }

    private static void SetOrRemove(IDictionary<string, string?> environment, string name, string? value)
    {
        if (value is null)
        {
            environment.Remove(name);
        }
        else
        {
            environment[name] = value;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int processId, int signal);
}
