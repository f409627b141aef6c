using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using Strata.Common.Processes;

namespace Strata.Providers.Local;

/// <summary>The outcome of starting a run command.</summary>
internal sealed record StartedProcess(int Pid, long StartTime);

/// <summary>
/// Starts and stops server processes. Each runs in its own session (<see cref="ProcessSupervisor.StartDetached"/>),
/// with standard output and error appended to its log by its own shell rather than piped to us, so that it outlives
/// the control plane.
/// </summary>
internal sealed class ServerProcesses : IDisposable
{
    private static readonly TimeSpan s_killWait = TimeSpan.FromSeconds(5);

    private readonly ServerMarkers _markers;
    private readonly TimeProvider _time;
    private readonly TimeSpan _poll;

    // Children started by this instance, kept so that .NET reaps them and their exit codes stay known.
    private readonly ConcurrentDictionary<int, Process> _children = new();

    public ServerProcesses(ServerMarkers markers, TimeProvider time, TimeSpan poll)
    {
        _markers = markers;
        _time = time;
        _poll = poll;
    }

    /// <summary>How this provider's processes are told from others'.</summary>
    public ServerMarkers Markers => _markers;

    /// <summary>Starts <c>setsid /bin/sh -c</c> with the command, its output appended to <paramref name="logPath"/>.</summary>
    public StartedProcess Start(string command, string workingDirectory, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        // The server learns where its log is from STRATA_LOG.
        var withLog = new Dictionary<string, string>(environment) { ["STRATA_LOG"] = logPath };
        Process process;
        try
        {
            process = ProcessSupervisor.StartDetached("strata-server", ["/bin/sh", "-c", command], workingDirectory, logPath, withLog);
        }
        catch (Win32Exception ex)
        {
            throw new ProviderException($"could not start the server process: {ex.Message}", ex);
        }

        _children[process.Id] = process;
        // The start time is read at once: from here on the pid alone could name a different, later process.
        return new StartedProcess(process.Id, ProcessStat.Read(process.Id)?.StartTime ?? 0);
    }

    /// <summary>Waits until the process exits or <paramref name="window"/> passes; returns its exit code if it exited.</summary>
    public async Task<int?> WaitForEarlyExitAsync(int pid, TimeSpan window, CancellationToken ct)
    {
        if (!_children.TryGetValue(pid, out var process))
        {
            return null;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var exit = process.WaitForExitAsync(stop.Token);
        var elapsed = Task.Delay(window, _time, stop.Token);
        await Task.WhenAny(exit, elapsed).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        return process.HasExited ? process.ExitCode : null;
    }

    /// <summary>Calls <paramref name="exited"/> once when a process this instance started exits.</summary>
    public void OnExit(int pid, Action exited)
    {
        if (!_children.TryGetValue(pid, out var process))
        {
            return;
        }

        var once = 0;
        void Raise()
        {
            if (Interlocked.Exchange(ref once, 1) == 0)
            {
                exited();
            }
        }

        process.Exited += (_, _) => Raise();
        process.EnableRaisingEvents = true;
        if (process.HasExited)
        {
            Raise();
        }
    }

    /// <summary>True for a process this instance started that has not exited.</summary>
    public bool IsRunningChild(int pid) => _children.TryGetValue(pid, out var process) && !process.HasExited;

    /// <summary>The exit code of a process this instance started, once it has exited.</summary>
    public int? ExitCodeOf(int pid) =>
        _children.TryGetValue(pid, out var process) && process.HasExited ? process.ExitCode : null;

    /// <summary>Runs a command to completion (a configure hook) and returns its exit code, or null on timeout (it is then killed).</summary>
    public async Task<int?> RunToCompletionAsync(
        string command, string workingDirectory, IReadOnlyDictionary<string, string> environment, string logPath, string marker, TimeSpan timeout, CancellationToken ct)
    {
        var started = Start(command, workingDirectory, environment, logPath);
        var process = _children[started.Pid];
        try
        {
            await process.WaitForExitAsync(ct).WaitAsync(timeout, _time, ct).ConfigureAwait(false);
            return process.ExitCode;
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            await StopGroupAsync(started.Pid, marker, TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
            Forget(started.Pid);
        }
    }

    /// <summary>
    /// SIGTERM to every process of the group, then SIGKILL after <paramref name="grace"/>. Only a group that still has a
    /// member carrying <paramref name="marker"/> is signalled, so a recycled pid is never hit.
    /// </summary>
    public async Task StopGroupAsync(int processGroup, string marker, TimeSpan grace, CancellationToken ct)
    {
        if (!_markers.HasGroupMembers(processGroup, marker))
        {
            return;
        }

        if (grace > TimeSpan.Zero)
        {
            ProcessSignals.SendToGroup(processGroup, ProcessSignals.Terminate);
            if (await WaitForGroupExitAsync(processGroup, marker, grace, ct).ConfigureAwait(false))
            {
                return;
            }
        }

        ProcessSignals.SendToGroup(processGroup, ProcessSignals.Kill);
        if (!await WaitForGroupExitAsync(processGroup, marker, s_killWait, ct).ConfigureAwait(false))
        {
            throw new ProviderException($"process group {processGroup} is still alive {s_killWait.TotalSeconds:0}s after SIGKILL");
        }
    }

    public void Forget(int pid)
    {
        if (_children.TryRemove(pid, out var process))
        {
            process.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var pid in _children.Keys)
        {
            Forget(pid);
        }
    }

    private async Task<bool> WaitForGroupExitAsync(int processGroup, string marker, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        while (_markers.HasGroupMembers(processGroup, marker))
        {
            if (_time.GetTimestamp() >= deadline)
            {
                return false;
            }

            await Task.Delay(_poll, _time, ct).ConfigureAwait(false);
        }

        return true;
    }
}
