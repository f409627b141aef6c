using System.Text;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// Secrets and interpolated values as the machine's other users and the deployment's own processes see them: no
/// secret on any command line, a hostile parameter stays one literal argument, and the control plane and what it
/// starts get an explicit environment.
/// </summary>
[Trait("kind", "e2e")]
public sealed class SecretsEndToEndTests
{
    private const string Deployment = "sec";
    // Unique to each test: the tests look for it in every process of this user, which includes any other run of them.
    private readonly string _secret = $"tok-{Guid.NewGuid():N}'x y$HOME";
    private const string Hostile = "1;touch pwned";

    [Fact]
    public async Task Up_SecretInRunAndHook_IsInNoCommandLineButInTheProcessEnvironment()
    {
        await using var runner = new StrataRunner();
        var spec = WriteSpec(runner, LoopbackPorts.Reserve());
        // Given through the environment: the CLI's own command line is no place for a secret either.
        runner.Environment["STRATA_PARAM_TOKEN"] = _secret;

        var up = runner.UpAsync(spec, Deployment);
        var hookToken = await WaitForFileAsync(runner, "configure-token.txt", up);
        // The configure hook sleeps after writing the file: it is running now.
        AssertNoCommandLineHolds(_secret);
        Assert.Contains(OwnProcesses(), p => p.Environment.Contains(_secret, StringComparison.Ordinal) && p.CommandLine.Contains("configure-token.txt", StringComparison.Ordinal));
        var result = await up;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(_secret + "\n", await File.ReadAllTextAsync(hookToken));
        Assert.Equal(_secret + "\n", await File.ReadAllTextAsync(FindFile(runner, "run-token.txt")!));
        AssertNoCommandLineHolds(_secret);
        Assert.Contains(OwnProcesses(), p => p.Environment.Contains(_secret, StringComparison.Ordinal) && p.CommandLine.Contains("run-token.txt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Up_HostileParameterInRun_ReachesTheProgramAsOneLiteralArgument()
    {
        await using var runner = new StrataRunner();
        var spec = WriteSpec(runner, LoopbackPorts.Reserve());

        var result = await runner.UpAsync(spec, Deployment, "--param", $"token={_secret}", "--param", $"label={Hostile}");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Hostile + "\n", await File.ReadAllTextAsync(FindFile(runner, "args.txt")!));
        Assert.Null(FindFile(runner, "pwned"));
    }

    [Fact]
    public async Task Up_ParameterFromTheCliEnvironment_ReachesNeitherTheControlPlaneNorWhatItStarts()
    {
        await using var runner = new StrataRunner();
        var spec = WriteSpec(runner, LoopbackPorts.Reserve());
        runner.Environment["STRATA_PARAM_TOKEN"] = _secret;

        var result = await runner.UpAsync(spec, Deployment);
        var controlPlane = await runner.ControlPlanePidAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        var ours = OwnProcesses().Where(p => p.Environment.Contains(runner.Home.Path, StringComparison.Ordinal)).ToList();
        Assert.Contains(ours, p => p.Pid == controlPlane);
        Assert.Contains(ours, p => p.Variables.ContainsKey("STRATA_LB_ID"));
        Assert.Contains(ours, p => p.Variables.ContainsKey("STRATA_SERVER_ID"));
        Assert.All(ours, p => Assert.DoesNotContain(p.Variables.Keys, k => k.StartsWith("STRATA_PARAM_", StringComparison.Ordinal)));
        Assert.All(ours.Where(p => p.Pid != controlPlane), p =>
        {
            Assert.False(p.Variables.ContainsKey("STRATA_HOME"), p.CommandLine);
            Assert.False(p.Variables.ContainsKey("STRATA_LOCAL_ADDRESSES"), p.CommandLine);
        });
    }

    [Fact]
    public async Task Up_StatusPageCheckUsingSelfAddress_DatabaseComesIntoService()
    {
        await using var runner = new StrataRunner();
        var front = LoopbackPorts.Reserve();
        var spec = runner.CopyExample("status-page", new Dictionary<string, string> { ["127.0.0.1:8090"] = $"{front}", ["front:8090"] = $"front:{front.Port}" });
        Assert.Contains("command: \"sh check.sh ${self.address}\"", await File.ReadAllTextAsync(spec), StringComparison.Ordinal);

        var result = await runner.UpAsync(spec, "status-page", "--param", "dbPassword=pw-1", "--param", "webServers=1");

        Assert.True(result.ExitCode == 0, result.ToString());
        var status = await runner.StatusAsync("status-page");
        var db = status.GetProperty("servers").EnumerateArray().Single(s => s.GetProperty("tier").GetString() == "db");
        Assert.Equal("inService", db.GetProperty("state").GetString());

        // A new password replaces both tiers (they read it in env), the database in place on its volume: its configure
        // rotates the password there, so the new web server reads the same rows, on the same volume, with it.
        var volume = DatabaseVolume(status);
        var rotated = await runner.UpAsync(spec, "status-page", "--param", "dbPassword=pw-2 it's", "--param", "webServers=1");

        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        Assert.Contains("rolling replacement of 1 server, in place", rotated.Out + rotated.Error, StringComparison.Ordinal);
        var after = await runner.StatusAsync("status-page");
        Assert.NotEqual(db.GetProperty("name").GetString(), after.GetProperty("servers").EnumerateArray().Single(s => s.GetProperty("tier").GetString() == "db").GetProperty("name").GetString());
        Assert.Equal(volume, DatabaseVolume(after));
        using var http = new HttpClient();
        var page = await http.GetStringAsync($"http://{front}/");
        Assert.Contains("operational", page, StringComparison.Ordinal);
    }

    private static string? DatabaseVolume(System.Text.Json.JsonElement status) =>
        status.GetProperty("volumes").EnumerateArray().Single(v => v.GetProperty("tier").GetString() == "db").GetProperty("name").GetString();

    private static string WriteSpec(StrataRunner runner, LoopbackEndpoint front)
    {
        runner.Home.WriteFile("sec/app/README", "served by python3 -m http.server\n");
        return runner.Home.WriteFile("sec/strata.yaml", $$"""
            deployment: {{Deployment}}
            parameters:
              token: { secret: true }
              label: { default: plain }
            images:
              app:
                from: ./app
                run: "printf '%s\n' ${params.label} > args.txt; echo ${params.token} > run-token.txt; python3 -m http.server --bind ${self.address} 8000; true"
                hooks:
                  configure: "echo ${params.token} > configure-token.txt; sleep 3; true"
            tiers:
              app:
                image: app
                servers: 1
                ports: { http: 8000 }
                health: { http: /, interval: 500ms }
            loadBalancers:
              front: { listen: "{{front}}", to: app:http }
            """);
    }

    private static async Task<string> WaitForFileAsync(StrataRunner runner, string name, Task<CliResult> up)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (FindFile(runner, name) is not { } path || new FileInfo(path).Length == 0)
        {
            Assert.False(up.IsCompleted, $"up ended before {name} was written: {(up.IsCompleted ? up.Result.ToString() : "")}");
            await Task.Delay(20, deadline.Token);
        }

        return FindFile(runner, name)!;
    }

    private static string? FindFile(StrataRunner runner, string name) =>
        Directory.EnumerateFiles(runner.Home.Path, name, SearchOption.AllDirectories).FirstOrDefault();

    private static void AssertNoCommandLineHolds(string secret)
    {
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), out _) && Read(Path.Combine(folder, "cmdline")) is { } cmdline)
            {
                Assert.False(cmdline.Contains(secret, StringComparison.Ordinal), $"{folder}/cmdline holds the secret: {cmdline.Replace('\0', ' ')}");
            }
        }
    }

    /// <summary>Every process whose environment this user may read, with its command line and variables.</summary>
    private static List<ProcessView> OwnProcesses()
    {
        var processes = new List<ProcessView>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), out var pid)
                && Read(Path.Combine(folder, "environ")) is { } environ
                && Read(Path.Combine(folder, "cmdline")) is { } cmdline)
            {
                processes.Add(new ProcessView(pid, cmdline.Replace('\0', ' '), environ));
            }
        }

        return processes;
    }

    private static string? Read(string path)
    {
        try
        {
            return Encoding.UTF8.GetString(File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private sealed record ProcessView(int Pid, string CommandLine, string Environment)
    {
        public IReadOnlyDictionary<string, string> Variables { get; } = Environment.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => v.Split('=', 2))
            .Where(v => v.Length == 2)
            .GroupBy(v => v[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
    }
}
