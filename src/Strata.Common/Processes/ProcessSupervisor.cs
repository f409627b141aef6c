using System.ComponentModel;
using System.Diagnostics;

namespace Strata.Common.Processes;

/// <summary>
/// Starts processes that outlive the one that started them, and stops them again, possibly from a later control
/// plane that knows them only by their <see cref="ProcessIdentity"/>.
/// </summary>
public static class ProcessSupervisor
{
    // The shell appends the output to the log itself and then becomes the command (exec): no pipe ties the process
    // to its starter, and setsid gives it a session of its own, out of reach of a Ctrl+C aimed at the starter.
    private const string Launcher = "log=$1; shift; exec \"$@\" </dev/null >>\"$log\" 2>&1";

    /// <summary>How often <see cref="WaitForExitAsync"/> looks.</summary>
    public static readonly TimeSpan ExitPoll = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Starts <paramref name="command"/> (a program and its arguments) in a session of its own, with exactly
    /// <paramref name="environment"/>, standard input from <c>/dev/null</c>, and its output appended to <paramref name="logPath"/>.
    /// The process leads its own session and group, so its pid is also its group's id.
    /// </summary>
    /// <param name="name">What the launcher shell calls itself until it becomes the command (<c>$0</c>).</param>
    /// <exception cref="Win32Exception"><c>setsid</c> or <c>sh</c> could not be started.</exception>
    public static Process StartDetached(
        string name, IReadOnlyList<string> command, string workingDirectory, string logPath, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var argument in (string[])["/bin/sh", "-c", Launcher, name, logPath, .. command])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var (variable, value) in environment)
        {
            start.Environment[variable] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {name}");
    }

    /// <summary>
    /// Sends <paramref name="stopSignal"/> and waits up to <paramref name="grace"/> for the process to exit; then
    /// sends SIGKILL and waits as long again. Only a process proven ours (<see cref="ProcessIdentity.IsRunning"/>) is
    /// signalled; one that no longer carries its marker (it is exiting) is only waited for.
    /// </summary>
    /// <returns>True when the process exited without SIGKILL (or was already gone).</returns>
    public static async Task<bool> StopAsync(ProcessIdentity process, int stopSignal, TimeSpan grace, TimeProvider time, CancellationToken ct)
    {
        if (!process.IsRunning() || !ProcessSignals.Send(process.Pid, stopSignal))
        {
            return await WaitForExitAsync(process, grace, time, ct).ConfigureAwait(false);
        }

        if (await WaitForExitAsync(process, grace, time, ct).ConfigureAwait(false))
        {
            return true;
        }

        // Still the same process (pid and start time), so the pid cannot have been given to another one.
        ProcessSignals.Send(process.Pid, ProcessSignals.Kill);
        await WaitForExitAsync(process, grace, time, ct).ConfigureAwait(false);
        return false;
    }

    /// <summary>Waits until the process has exited (<see cref="ProcessIdentity.HasExited"/>) or <paramref name="timeout"/> passes.</summary>
    /// <returns>True when it exited.</returns>
    public static async Task<bool> WaitForExitAsync(ProcessIdentity process, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        while (!process.HasExited())
        {
            if (time.GetElapsedTime(started) >= timeout)
            {
                return false;
            }

            await Task.Delay(ExitPoll, time, ct).ConfigureAwait(false);
        }

        return true;
    }
}
