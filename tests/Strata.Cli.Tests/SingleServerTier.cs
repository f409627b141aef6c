using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>A deployment of one server, as the volume tests run it: the server, its replacement, and its log.</summary>
internal static class SingleServerTier
{
    public static HelloEndToEndTests.ServerRow Single(JsonElement status)
    {
        var servers = HelloEndToEndTests.Servers(status);
        Assert.True(servers.Count == 1, status.ToString());
        return servers[0];
    }

    /// <summary>Waits for one server in service in place of <paramref name="replaced"/>; a timeout shows the status and events.</summary>
    public static async Task<HelloEndToEndTests.ServerRow> WaitForReplacementAsync(StrataRunner strata, string deployment, string replaced)
    {
        HelloEndToEndTests.ServerRow? found = null;
        try
        {
            await Eventually.WaitAsync(async () =>
            {
                var servers = HelloEndToEndTests.Servers(await strata.StatusAsync(deployment));
                found = servers.Count == 1 && servers[0] is { State: "inService" } s && s.Name != replaced ? s : null;
                return found is not null;
            }, $"one server in service in place of {replaced}", TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException ex)
        {
            var events = await strata.RunAsync(TimeSpan.FromSeconds(30), "events", deployment);
            throw new TimeoutException($"{ex.Message}\n--- status\n{await strata.StatusAsync(deployment)}\n--- events\n{events.Out}", ex);
        }

        return found!;
    }

    public static async Task<string> LogAsync(StrataRunner strata, string deployment, string server)
    {
        var logs = await strata.RunAsync(TimeSpan.FromSeconds(30), "logs", deployment, server);
        Assert.True(logs.ExitCode == 0, logs.ToString());
        return logs.Out;
    }
}
