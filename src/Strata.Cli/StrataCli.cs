using System.CommandLine;

namespace Strata.Cli;

/// <summary>The <c>strata</c> command line: builds the command tree and runs it.</summary>
public static class StrataCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Strata: declarative deployments of servers, load balancers and backups.");
        return await root.Parse(args).InvokeAsync();
    }
}
