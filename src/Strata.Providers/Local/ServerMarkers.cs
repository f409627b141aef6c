using Strata.Common.Processes;

namespace Strata.Providers.Local;

/// <summary>
/// How one local provider tells its servers' processes from every other process on the machine: each carries
/// <c>STRATA_MARKER</c> (the server id, or its configure hook's marker) and <c>STRATA_ENGINE</c> (the provider's root
/// folder). A server id is unique only within one provider: two agents on one machine, or two Strata homes, may each
/// run a <c>web-1</c>, and a search by the id alone would stop, adopt or fence the other one's process. A process
/// without <c>STRATA_ENGINE</c> was launched by an earlier version of Strata and is known by its marker alone, as then.
/// </summary>
internal sealed class ServerMarkers(string engine)
{
    /// <summary>The environment variable that tags a server's processes with the server id.</summary>
    public const string MarkerVariable = "STRATA_MARKER";

    /// <summary>The environment variable that tags them with the root folder of the provider that launched them.</summary>
    public const string EngineVariable = "STRATA_ENGINE";

    // Processes known to carry a marker, by pid and start time; cleared when it grows past the limit.
    private const int VerifiedLimit = 100_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int Pid, long StartTime), string> _verified = new();

    /// <summary>The provider's root folder, as its processes carry it.</summary>
    public string Engine { get; } = engine;

    /// <summary>Tags an environment with <paramref name="marker"/> and this provider's engine.</summary>
    public void Tag(IDictionary<string, string> environment, string marker)
    {
        environment[MarkerVariable] = marker;
        environment[EngineVariable] = Engine;
    }

    /// <summary>True when the process carries <paramref name="marker"/> and was launched by this provider (or by one from before engines were tagged).</summary>
    public bool IsCarriedBy(int pid, string marker) => MarkerOf(pid) == marker;

    /// <summary>
    /// The marker the process carries when this provider (or one from before engines were tagged) launched it; null
    /// otherwise. One read of its environment answers for every marker it may be asked about.
    /// </summary>
    public string? MarkerOf(int pid) =>
        ProcessEnvironment.Values(pid, MarkerVariable, EngineVariable) is [{ } found, var engine] && (engine is null || engine == Engine)
            ? found
            : null;

    /// <summary>True when <paramref name="pid"/> is alive, started at <paramref name="startTime"/> and carries the marker.</summary>
    public bool IsSameProcess(int pid, long startTime, string marker)
    {
        if (new ProcessIdentity(pid, startTime, MarkerVariable, marker).HasExited())
        {
            return false;
        }

        // A pid with its start time names one process for good: once it was seen carrying the marker, its stat alone
        // says it is still that process. A server list asks this of every server every few seconds.
        if (startTime != 0 && _verified.TryGetValue((pid, startTime), out var seen) && seen == marker)
        {
            return true;
        }

        if (!IsCarriedBy(pid, marker))
        {
            return false;
        }

        if (_verified.Count >= VerifiedLimit)
        {
            _verified.Clear();
        }

        _verified[(pid, startTime)] = marker;
        return true;
    }

    /// <summary>
    /// True when a live process of the group carries the marker. Its leader is looked at first and an empty group is
    /// known by one system call; only a group whose leader has gone while others remain is searched for. A termination
    /// asks this every poll while it waits for the group to exit, and a search reads every process on the machine: 200
    /// terminations at once on a machine of 200 servers spent seconds of processor on it.
    /// </summary>
    public bool HasGroupMembers(int processGroup, string marker) =>
        (ProcessStat.Read(processGroup) is { IsAlive: true } leader && leader.ProcessGroup == processGroup && IsCarriedBy(processGroup, marker))
        || (ProcessSignals.GroupExists(processGroup) && GroupMembers(processGroup, marker).Count > 0);

    /// <summary>Live processes of a group that carry the marker; other processes are never reported, so never signalled.</summary>
    public List<int> GroupMembers(int processGroup, string marker) =>
        [.. ProcFs.Pids().Where(pid => ProcessStat.Read(pid) is { IsAlive: true } stat && stat.ProcessGroup == processGroup && IsCarriedBy(pid, marker))];

    /// <summary>The live process that leads its own group and carries the marker, if any.</summary>
    public (int Pid, long StartTime)? FindGroupLeader(string marker) =>
        FindGroupLeaders([marker]).TryGetValue(marker, out var leader) ? leader : null;

    /// <summary>
    /// For each of <paramref name="markers"/> a live process that leads its own group and carries it, in one look at
    /// the machine's processes: every server leads its group, and a termination asked this of each for two markers.
    /// </summary>
    public Dictionary<string, (int Pid, long StartTime)> FindGroupLeaders(IReadOnlyCollection<string> markers)
    {
        var found = new Dictionary<string, (int Pid, long StartTime)>(StringComparer.Ordinal);
        foreach (var pid in ProcFs.Pids())
        {
            if (ProcessStat.Read(pid) is not { IsAlive: true } stat || stat.ProcessGroup != pid || MarkerOf(pid) is not { } marker || !markers.Contains(marker))
            {
                continue;
            }

            found.TryAdd(marker, (pid, stat.StartTime));
            if (found.Count == markers.Count)
            {
                break;
            }
        }

        return found;
    }
}
