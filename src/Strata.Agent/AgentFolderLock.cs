using System.Globalization;

namespace Strata.Agent;

/// <summary>
/// The agent's hold on its folder: an exclusive lock on <c>agent.lock</c> in it (.NET takes a <c>flock</c> for a file
/// opened with <see cref="FileShare.None"/>), kept while the agent runs and released by the kernel when its process
/// ends, however it ends. Two agents over one folder would each adopt the other's servers and fail them as strangers,
/// so the second one refuses. The one exception is an agent of the same host (the control plane reconnected while the
/// previous agent, cut off or frozen, still ran): it is told to exit (killed if it does not), and the lock is taken once it has.
/// </summary>
internal sealed class AgentFolderLock : IDisposable
{
    public const string LockFileName = "agent.lock";

    /// <summary>Who holds the lock, "PID HOST", written once it is taken; it is not the lock, so it can be read while held.</summary>
    public const string HolderFileName = "agent.holder";

    // SIGTERM first, then SIGKILL for an agent that did not exit. A stopped agent is killed at once: woken to take
    // SIGTERM, it could first carry out requests written to it while it was stopped, which their sender gave up on.
    private static readonly int[] s_predecessorSignals = [15, 9];
    private static readonly int[] s_stoppedPredecessorSignals = [9];
    private static readonly TimeSpan s_predecessorExit = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_retry = TimeSpan.FromMilliseconds(100);

    private readonly FileStream _lock;

    private AgentFolderLock(FileStream held) => _lock = held;

    /// <summary>Takes the folder's lock for the agent of <paramref name="host"/>; null, with why, when another agent holds it.</summary>
    public static async Task<(AgentFolderLock? Lock, string? Refusal)> TakeAsync(string folder, string? host, TimeProvider time, CancellationToken ct)
    {
        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        if (TryOpen(folder) is { } held)
        {
            return (Hold(folder, held, host), null);
        }

        var holder = ReadHolder(folder);
        if (host is null || holder?.Host != host || holder.Value.ProcessId == Environment.ProcessId)
        {
            return (null, $"the folder {folder} is in use by another agent{(holder is { } h ? $" (process {h.ProcessId}, for host {h.Host})" : "")}; "
                + "two hosts registered for one machine and one login share it: give each host its own --agent-dir");
        }

        // The same host's earlier agent: its control plane has gone from it (a frozen agent does not even take its
        // stop request). Its servers are left running for this one: they are in sessions of their own.
        var pid = holder.Value.ProcessId;
        var signals = Common.Processes.ProcessStat.Read(pid) is { State: 'T' or 't' } ? s_stoppedPredecessorSignals : s_predecessorSignals;
        foreach (var signal in signals)
        {
            Common.Processes.ProcessSignals.Send(pid, signal);
            if (await WaitForLockAsync(folder, time, ct).ConfigureAwait(false) is { } taken)
            {
                return (Hold(folder, taken, host), null);
            }
        }

        return (null, $"the earlier agent of host {host} (process {pid}) still holds {folder} after it was killed");
    }

    private static async Task<FileStream?> WaitForLockAsync(string folder, TimeProvider time, CancellationToken ct)
    {
        for (var deadline = time.GetUtcNow() + s_predecessorExit; time.GetUtcNow() < deadline;)
        {
            await Task.Delay(s_retry, time, ct).ConfigureAwait(false);
            if (TryOpen(folder) is { } taken)
            {
                return taken;
            }
        }

        return null;
    }

    public void Dispose() => _lock.Dispose();

    private static FileStream? TryOpen(string folder)
    {
        try
        {
            return new FileStream(Path.Combine(folder, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static AgentFolderLock Hold(string folder, FileStream held, string? host)
    {
        File.WriteAllText(Path.Combine(folder, HolderFileName), $"{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)} {host ?? ""}");
        return new AgentFolderLock(held);
    }

    private static (int ProcessId, string Host)? ReadHolder(string folder)
    {
        try
        {
            var words = File.ReadAllText(Path.Combine(folder, HolderFileName)).Split(' ', 2);
            return int.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? (pid, words.Length > 1 ? words[1] : "") : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
