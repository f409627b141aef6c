using System.Runtime.InteropServices;

namespace Strata.Common.Processes;

/// <summary>The one system call .NET does not offer: a signal to a process by pid alone, or to a process group.</summary>
public static partial class ProcessSignals
{
    public const int Kill = 9;
    public const int User1 = 10;
    public const int Terminate = 15;

    /// <summary>Sends <paramref name="signal"/> to one process; false when it no longer exists.</summary>
    public static bool Send(int pid, int signal)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pid, 1);
        return SystemKill(pid, signal) == 0;
    }

    /// <summary>Sends <paramref name="signal"/> to every process in the group; false when the group no longer exists.</summary>
    public static bool SendToGroup(int processGroup, int signal)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(processGroup, 1);
        return SystemKill(-processGroup, signal) == 0;
    }

    /// <summary>
    /// True while any process is in the group (also one that has exited and is not yet reaped, or one of another user):
    /// one system call, where a look at its members reads every process on the machine.
    /// </summary>
    public static bool GroupExists(int processGroup)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(processGroup, 1);
        return SystemKill(-processGroup, 0) == 0 || Marshal.GetLastPInvokeError() == PermissionDenied;
    }

    private const int PermissionDenied = 1;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SystemKill(int pid, int signal);
}
