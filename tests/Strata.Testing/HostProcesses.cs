using System.Globalization;
using Xunit;

namespace Strata.Testing;

/// <summary>
/// Processes that run on test hosts (<see cref="SshdHost"/>), the agents above all, found by their command lines: a
/// test that freezes or kills one needs its pid, which only the host knows.
/// </summary>
public static class HostProcesses
{
    /// <summary>The one process of the agent running over <paramref name="folder"/> (its <c>--folder</c>).</summary>
    public static int AgentOver(string folder) =>
        Assert.Single(Pids(), pid => CommandLine(pid).Contains($"Strata.Agent.dll --folder {folder} ", StringComparison.Ordinal));

    /// <summary>The live agent processes started from the build in <paramref name="agentDir"/> (<c>AGENT_DIR/bin</c>).</summary>
    public static List<int> AgentsStartedFrom(string agentDir) =>
        [.. Pids().Where(pid => Strata.Common.Processes.ProcessStat.Read(pid) is { IsAlive: true }
            && CommandLine(pid).Contains($"{agentDir}/bin/Strata.Agent.dll", StringComparison.Ordinal))];

    /// <summary>A process's command line, each argument followed by a space; empty once the process is gone.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>The processes whose environment names them server <paramref name="server"/> (<c>STRATA_SERVER_NAME</c>): its run command and what that started.</summary>
    public static List<int> ServerProcesses(string server) =>
        [.. Pids().Where(pid => Environment(pid).Contains($"\0STRATA_SERVER_NAME={server}\0", StringComparison.Ordinal))];

    private static string Environment(int pid)
    {
        try
        {
            return "\0" + File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/environ");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static IEnumerable<int> Pids() =>
        Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0).Where(pid => pid > 0);
}
