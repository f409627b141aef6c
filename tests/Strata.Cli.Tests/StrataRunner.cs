using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>The outcome of one <c>strata</c> invocation.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs the real <c>strata</c> program as a child process against a home folder of its own, and on dispose
/// deletes what it deployed, stops its control plane and kills anything left in its process groups.
/// </summary>
public sealed class StrataRunner : IAsyncDisposable
{
    private static readonly string s_cli = Path.Combine(AppContext.BaseDirectory, "strata.dll");
    private readonly HashSet<string> _deployments = [];
    private readonly LoopbackBlock _addresses = LoopbackBlocks.Acquire();
    private readonly string _test;

    /// <param name="testFile">The test's source file and method, filled in by the compiler: they name the folder
    /// that keeps this runner's control-plane log and state once it is disposed (see <see cref="KeepRecord"/>).</param>
    public StrataRunner([CallerFilePath] string testFile = "", [CallerMemberName] string testMethod = "")
    {
        Home = new TemporaryDirectory("strata-e2e");
        ControlPlane = LoopbackPorts.Reserve();
        _test = $"{Path.GetFileNameWithoutExtension(testFile)}.{testMethod}";
    }

    /// <summary>
    /// How long <c>strata server stop</c> may take: the command itself waits up to 30 s for the control plane to exit,
    /// after starting up and connecting, which on a loaded machine takes seconds of its own. A shorter limit here turned
    /// a slow stop into a timeout of the test instead of the command's own answer.
    /// </summary>
    public static readonly TimeSpan ServerStopTimeout = TimeSpan.FromMinutes(2);

    public TemporaryDirectory Home { get; }

    /// <summary>A loopback block of this runner's own, so that runs side by side never hand out the same address.</summary>
    public string AddressRange => _addresses.Range;

    /// <summary>Variables added to the environment of every <c>strata</c> this runner starts.</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>Where this runner's control plane listens.</summary>
    public LoopbackEndpoint ControlPlane { get; }

    public string Listen => ControlPlane.ToString();

    /// <summary>Starts <c>strata</c> with this runner's home; the caller reads its output and waits for it.</summary>
    public Process Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Start(string[])"/>, with more environment variables for this run only (e.g. <c>STRATA_TOKEN</c>).</summary>
    public Process Start(IReadOnlyDictionary<string, string> environment, string[] args)
    {
        // Through env, which restores SIGINT's default before it runs dotnet in its place: a test run started in the
        // background (a shell's '&', nohup) hands its children SIGINT ignored, and .NET keeps an inherited ignore, so
        // a Ctrl+C sent by a test would never reach the CLI.
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(s_cli);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // An explicit environment: what this machine sets for Strata (STRATA_PARAM_*, STRATA_HOME, ...) must not
        // reach the program under test, only what the test says.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("STRATA_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["STRATA_HOME"] = Home.Path;
        start.Environment["STRATA_LOCAL_ADDRESSES"] = AddressRange;
        foreach (var (name, value) in Environment.Concat(environment))
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }

    public Task<CliResult> RunAsync(TimeSpan timeout, params string[] args) => RunWithEnvironmentAsync(timeout, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="RunAsync"/>, with more environment variables for this run only (e.g. <c>STRATA_TOKEN</c>).</summary>
    public async Task<CliResult> RunWithEnvironmentAsync(TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = Start(environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"strata {string.Join(' ', args)} did not finish within {timeout}; stderr so far: {await stderr}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary><c>strata up</c> on a copy of a spec folder, with the control plane on this runner's port.</summary>
    public async Task<CliResult> UpAsync(string specPath, string deployment, params string[] extra)
    {
        _deployments.Add(deployment);
        return await RunAsync(TimeSpan.FromMinutes(2), ["up", specPath, "--listen", Listen, "--timeout", "90s", .. extra]);
    }

    public async Task<JsonElement> StatusAsync(string deployment)
    {
        var result = await RunAsync(TimeSpan.FromSeconds(30), "status", deployment, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Out).RootElement;
    }

    public async Task<int> ControlPlanePidAsync()
    {
        var result = await RunAsync(TimeSpan.FromSeconds(30), "server", "status", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Out).RootElement.GetProperty("pid").GetInt32();
    }

    /// <summary>
    /// Copies an example's tracked files (see <see cref="TrackedFiles"/>) into this runner's folder, replacing listen
    /// ports so runs do not collide.
    /// </summary>
    public string CopyExample(string name, IReadOnlyDictionary<string, string>? replacements = null)
    {
        var target = Home.Combine("specs", name);
        TrackedFiles.Copy(RepositoryRoot(), Path.Combine("examples", name), target);

        if (replacements is not null)
        {
            var spec = Path.Combine(target, "strata.yaml");
            var text = File.ReadAllText(spec);
            foreach (var (from, to) in replacements)
            {
                text = text.Replace(from, to, StringComparison.Ordinal);
            }

            File.WriteAllText(spec, text);
        }

        return Path.Combine(target, "strata.yaml");
    }

    /// <summary>The checkout this test was compiled from (build outputs may live elsewhere, see STRATA_ARTIFACTS).</summary>
    public static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "")
    {
        var folder = new DirectoryInfo(Path.GetDirectoryName(sourceFile)!);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Strata.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("Strata.sln not found above the test folder");
    }

    public static bool IsAlive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].TrimStart().StartsWith('Z');

    public async ValueTask DisposeAsync()
    {
        try
        {
            KeepState();
            foreach (var deployment in _deployments)
            {
                await RunAsync(TimeSpan.FromMinutes(1), "down", deployment, "--yes");
            }

            await RunAsync(ServerStopTimeout, "server", "stop");
        }
        finally
        {
            KillLeftovers();
            KeepLog();
            Home.Dispose();
            _addresses.Dispose();
        }
    }

    /// <summary>
    /// Where the last run of this test left its control plane's state (as it was before the test's clean-up took its
    /// deployments down) and log: <c>artifacts/test-logs/Class.Method/</c>. An end-to-end failure on a loaded machine is
    /// rarely reproduced at will; its events and log are what explain it (read the events with <c>sqlite3 state.db
    /// 'select time, kind, message from events'</c>).
    /// </summary>
    public string KeepRecord => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "test-logs", _test));

    private void KeepState()
    {
        if (Directory.Exists(KeepRecord))
        {
            Directory.Delete(KeepRecord, recursive: true);
        }

        // The state holds the test deployments' secrets: the user's alone, as in a home folder.
        Directory.CreateDirectory(KeepRecord, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var state = Home.Combine("state.db");
        if (!File.Exists(state))
        {
            return;
        }

        try
        {
            // SQLite's online backup: a consistent copy while the control plane still writes to it.
            using var source = new SqliteConnection($"Data Source={state};Mode=ReadOnly;Pooling=False");
            using var copy = new SqliteConnection($"Data Source={Path.Combine(KeepRecord, "state.db")};Pooling=False");
            source.Open();
            source.BackupDatabase(copy);
        }
        catch (SqliteException ex)
        {
            File.WriteAllText(Path.Combine(KeepRecord, "state.error"), ex.Message);
        }
    }

    private void KeepLog()
    {
        var log = Home.Combine("logs", "server.log");
        if (File.Exists(log) && Directory.Exists(KeepRecord))
        {
            File.Copy(log, Path.Combine(KeepRecord, "server.log"), overwrite: true);
        }
    }

    /// <summary>
    /// Kills any process whose working folder or command line is inside this runner's home folder, or whose
    /// environment names it as <c>STRATA_HOME</c> (a control plane has the home only there).
    /// </summary>
    public void KillLeftovers()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == System.Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var cwd = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget ?? "";
                var cmdline = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "cmdline")));
                var environ = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "environ"))).Split('\0');
                if (cwd.StartsWith(Home.Path, StringComparison.Ordinal) || cmdline.Contains(Home.Path, StringComparison.Ordinal)
                    || environ.Contains($"STRATA_HOME={Home.Path}", StringComparer.Ordinal))
                {
                    Process.GetProcessById(pid).Kill(entireProcessTree: true);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // The process ended meanwhile or is not ours to inspect.
            }
        }
    }
}
