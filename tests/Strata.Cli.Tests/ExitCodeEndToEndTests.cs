using System.Reflection;
using System.Text.RegularExpressions;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>The exit codes the README documents are the ones the code names, and each is what the CLI returns.</summary>
[Trait("kind", "e2e")]
public sealed partial class ExitCodeEndToEndTests
{
    [Fact]
    public void ReadmeTable_ListsEveryNamedExitCode_WithItsNumber()
    {
        var documented = ReadmeTable().Matches(File.ReadAllText(Path.Combine(StrataRunner.RepositoryRoot(), "README.md")))
            .ToDictionary(m => m.Groups["name"].Value, m => int.Parse(m.Groups["code"].Value, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(Named().OrderBy(c => c.Key), documented.OrderBy(c => c.Key));
    }

    [Fact]
    public async Task Cli_EveryDocumentedExitCode_IsReturnedWhereTheReadmeSays()
    {
        await using var strata = new StrataRunner();
        var seen = new Dictionary<string, int>();
        var valid = WriteSpec(strata, "ok", run: "exec sleep 600", tierExtra: "backups: { dump: { service: true, every: 24h } }");

        seen["Success"] = (await strata.RunAsync(TimeSpan.FromSeconds(30), "validate", valid)).ExitCode;
        seen["InvalidSpec"] = (await strata.RunAsync(TimeSpan.FromSeconds(30), "validate", strata.Home.WriteFile("bad/strata.yaml", "deployment: bad\nprovider: aws\n"))).ExitCode;
        seen["Usage"] = (await strata.RunAsync(TimeSpan.FromSeconds(30), "validate", valid, "--no-such-option")).ExitCode;
        seen["ControlPlaneUnavailable"] = (await strata.RunAsync(TimeSpan.FromSeconds(30), "status")).ExitCode;

        var up = await strata.UpAsync(valid, "ok");
        Assert.True(up.ExitCode == 0, up.ToString());
        var never = WriteSpec(strata, "never", run: "exec sleep 600", tierExtra: "health: { command: \"false\", interval: 200ms }");
        seen["NotConverged"] = (await strata.RunAsync(TimeSpan.FromMinutes(1), "up", never, "--timeout", "3s")).ExitCode;
        Assert.Equal(0, (await strata.RunAsync(TimeSpan.FromMinutes(1), "down", "never", "--yes")).ExitCode);
        seen["NotFound"] = (await strata.RunAsync(TimeSpan.FromSeconds(30), "status", "no-such-deployment")).ExitCode;
        var unknownToken = new Dictionary<string, string> { ["STRATA_TOKEN"] = "strata_" + new string('0', 64) };
        seen["AccessDenied"] = (await strata.RunWithEnvironmentAsync(TimeSpan.FromSeconds(30), unknownToken, "status")).ExitCode;
        seen["Conflict"] = (await strata.RunAsync(TimeSpan.FromSeconds(30), "server", "--listen", LoopbackPorts.Reserve().ToString())).ExitCode;
        seen["BackupFailed"] = (await strata.RunAsync(TimeSpan.FromMinutes(1), "backup", "run", "ok")).ExitCode;
        var nowhere = $"{SshdHost.User}@{strata.AddressRange.Split('-')[1]}:{SshdHost.Port}";
        var key = strata.Home.WriteFile("key", "");
        seen["HostUnusable"] = (await strata.RunAsync(TimeSpan.FromSeconds(30), "host", "add", "h", "--ssh", nowhere, "--identity", key)).ExitCode;
        seen["Interrupted"] = await InterruptedFollowAsync(strata);

        Assert.Equal(Named().OrderBy(c => c.Key), seen.OrderBy(c => c.Key));
    }

    /// <summary><c>strata events --follow</c>, interrupted with SIGINT once it printed the first event.</summary>
    private static async Task<int> InterruptedFollowAsync(StrataRunner strata)
    {
        using var follow = strata.Start("events", "ok", "--follow");
        var first = await follow.StandardOutput.ReadLineAsync().WithTimeout(TimeSpan.FromSeconds(30));
        Assert.False(string.IsNullOrEmpty(first), "events --follow printed nothing");
        using var signal = System.Diagnostics.Process.Start("kill", ["-INT", follow.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await signal.WaitForExitAsync().WithTimeout();
        _ = follow.StandardOutput.ReadToEndAsync();
        await follow.WaitForExitAsync().WithTimeout(TimeSpan.FromSeconds(30));
        return follow.ExitCode;
    }

    private static Dictionary<string, int> Named() =>
        typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int))
            .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);

    private static string WriteSpec(StrataRunner strata, string name, string run, string tierExtra)
    {
        strata.Home.WriteFile($"{name}/app/README", "an image with nothing but a sleep in it");
        return strata.Home.WriteFile($"{name}/strata.yaml", $$"""
            deployment: {{name}}
            images:
              app: { from: ./app, run: "{{run}}", hooks: { backup: "echo no database here >&2; exit 9" } }
            tiers:
              t:
                image: app
                {{tierExtra}}
            """);
    }

    [GeneratedRegex(@"^\| `(?<code>\d+)` \| `(?<name>\w+)` \|", RegexOptions.Multiline)]
    private static partial Regex ReadmeTable();
}
