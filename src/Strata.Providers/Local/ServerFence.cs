using Strata.Common.Processes;

namespace Strata.Providers.Local;

/// <summary>
/// Makes sure nothing of a server still runs before its volumes go to another server. A server's processes are its
/// process group (carrying its marker), everything those started, even in sessions of their own (PostgreSQL's
/// workers call <c>setsid</c> and overwrite their environment), and any process still working in the server's root
/// or its volumes: a worker whose parent was killed first is found that way. All are killed with SIGKILL, and the
/// fence holds only once every one of them is gone.
/// </summary>
internal sealed class ServerFence(ServerMarkers markers, TimeProvider time, TimeSpan poll)
{
    private static readonly TimeSpan s_killWait = TimeSpan.FromSeconds(10);

    /// <param name="server">The server's record: its process, marker and root folder.</param>
    /// <param name="volumeFolders">The real folders of its volumes (not the links in its root).</param>
    /// <param name="ct">Cancels the wait; processes already signalled stay signalled.</param>
    /// <exception cref="ProviderException">A process survived SIGKILL for 10 seconds; the volumes must stay with the server.</exception>
    public async Task RaiseAsync(ServerInstance server, IReadOnlyList<string> volumeFolders, CancellationToken ct)
    {
        var folders = FoldersOf(server, volumeFolders);
        var deadline = time.GetTimestamp() + (long)(s_killWait.TotalSeconds * time.TimestampFrequency);
        while (Find(server, folders, markers, hasVolumes: volumeFolders.Count > 0) is { Count: > 0 } alive)
        {
            if (time.GetTimestamp() >= deadline)
            {
                throw new ProviderException(
                    $"processes {string.Join(", ", alive)} of server '{server.Id}' are still alive {s_killWait.TotalSeconds:0}s after SIGKILL; its volumes stay with it");
            }

            foreach (var pid in alive)
            {
                ProcessSignals.Send(pid, ProcessSignals.Kill);
            }

            await Task.Delay(poll, time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>True when any process of the server is alive (see <see cref="Find"/>).</summary>
    public static bool AnyLeft(ServerInstance server, IReadOnlyList<string> volumeFolders, ServerMarkers markers) =>
        Find(server, FoldersOf(server, volumeFolders), markers, hasVolumes: volumeFolders.Count > 0).Count > 0;

    private static List<string> FoldersOf(ServerInstance server, IReadOnlyList<string> volumeFolders) =>
        [Path.GetFullPath(server.RootPath), .. volumeFolders.Select(Path.GetFullPath)];

    /// <summary>
    /// The live processes of a server, never this process. Each process's environment is read once, for both markers.
    /// A process working in the server's folders is the server's too: for a server with volumes, any process whose
    /// working folder, root or open file is in them (someone else's writing to the data would be a second writer once
    /// the volume goes to another server); for one without, a process whose working folder or root is in its root
    /// folder, where its processes start (reading every open file of every process on the machine made each
    /// termination on a host of 40 servers cost 85 ms of processor, to find a leftover that only wastes it).
    /// </summary>
    public static List<int> Find(ServerInstance server, IReadOnlyList<string> folders, ServerMarkers markers, bool hasVolumes = true)
    {
        var self = Environment.ProcessId;
        var live = new Dictionary<int, ProcessStat>();
        foreach (var pid in ProcFs.Pids())
        {
            if (pid != self && ProcessStat.Read(pid) is { IsAlive: true } stat)
            {
                live[pid] = stat;
            }
        }

        var configureMarker = ServerLauncher.ConfigureMarkerOf(server.Id);
        var found = new HashSet<int>();
        foreach (var pid in live.Keys)
        {
            if ((markers.MarkerOf(pid) is { } marker && (marker == server.Id || marker == configureMarker))
                || ProcFs.Uses(pid, folders, openFiles: hasVolumes))
            {
                found.Add(pid);
            }
        }

        AddDescendants(found, live);
        return [.. found.Order()];
    }

    private static void AddDescendants(HashSet<int> found, Dictionary<int, ProcessStat> live)
    {
        var added = true;
        while (added)
        {
            added = false;
            foreach (var (pid, stat) in live)
            {
                if (!found.Contains(pid) && found.Contains(stat.ParentId))
                {
                    added = found.Add(pid);
                }
            }
        }
    }
}
