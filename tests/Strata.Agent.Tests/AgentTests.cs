using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Strata.Api.Contracts.Agent;
using Strata.Testing;

namespace Strata.Agent.Tests;

/// <summary>The agent's own parts, in process: measurements, arguments, and the protocol over in-memory pipes.</summary>
[Trait("kind", "unit")]
public sealed class AgentTests
{
    [Fact]
    public void MemTotal_MeminfoText_BytesOfTheMemTotalLine()
    {
        Assert.Equal(16318412L * 1024, HostMeasurements.MemTotal("MemFree:  100 kB\nMemTotal:       16318412 kB\n"));
        Assert.Throws<InvalidDataException>(() => HostMeasurements.MemTotal("MemFree: 1 kB\n"));
    }

    [Fact]
    public void Hello_OnLinux_TellsTheKernelsBootIdSoHostsSharingAMachineAreKnown()
    {
        using var folder = new TemporaryDirectory();

        var hello = HostMeasurements.Hello(folder.Path);

        Assert.Equal(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), hello.BootId);
        Assert.Equal(Environment.ProcessorCount, hello.Cores);
    }

    [Fact]
    public void TryParse_UnknownArgument_NamesItAndTheKnownOnes()
    {
        Assert.False(AgentArguments.TryParse(["--heartbeat-ms", "0"], out _, out var problem));
        Assert.Contains("'--heartbeat-ms' is not understood; use --folder DIR, --heartbeat-ms N (N > 0), --address IP, --zone Z and --host NAME", problem);
        Assert.True(AgentArguments.TryParse(["--folder", "/x", "--heartbeat-ms", "250"], out var arguments, out _));
        Assert.Equal(new AgentArguments("/x", TimeSpan.FromMilliseconds(250)), arguments);
    }

    [Fact]
    public async Task RunAsync_ClockAdvancesThenInputEnds_HelloHeartbeatsAndExit()
    {
        using var folder = new TemporaryDirectory();
        var time = new ManualTimeProvider();
        var input = new Pipe();
        var output = new Pipe();
        var run = AgentProgram.RunAsync(["--folder", folder.Path, "--heartbeat-ms", "1000"], input.Reader.AsStream(), output.Writer.AsStream(), TextWriter.Null, time, CancellationToken.None);
        using var lines = new StreamReader(output.Reader.AsStream(), Encoding.UTF8);

        var hello = Read(await lines.ReadLineAsync().WithTimeout());
        await Eventually.WaitAsync(() => time.NextTimerDueAt is not null, "the heartbeat timer is armed");
        time.Advance(TimeSpan.FromSeconds(1));
        var first = Read(await lines.ReadLineAsync().WithTimeout());
        time.Advance(TimeSpan.FromSeconds(1));
        var second = Read(await lines.ReadLineAsync().WithTimeout());
        await input.Writer.CompleteAsync();

        Assert.Equal(0, await run.WithTimeout());
        Assert.Equal(Environment.ProcessorCount, Assert.IsType<AgentHello>(hello).Cores);
        Assert.Equal(1, Assert.IsType<AgentHeartbeat>(first).Sequence);
        Assert.Equal(2, Assert.IsType<AgentHeartbeat>(second).Sequence);
    }

    [Fact]
    public async Task RunAsync_StopRequestedAfterALineThatIsNoRequest_ReportsTheLineAndExits()
    {
        using var folder = new TemporaryDirectory();
        var input = new Pipe();
        var error = new StringWriter();
        var run = AgentProgram.RunAsync(["--folder", folder.Path], input.Reader.AsStream(), Stream.Null, error, new ManualTimeProvider(), CancellationToken.None);

        await input.Writer.WriteAsync(Encoding.UTF8.GetBytes("{\"type\":\"reboot\"}\n{\"type\":\"stop\"}\n"));

        Assert.Equal(0, await run.WithTimeout());
        Assert.Contains("skipped a line that is not a request", error.ToString());
    }

    [Fact]
    public async Task RunAsync_FolderHeldByTheAgentOfAnotherHost_RefusesNamingTheHolderAndTheFix()
    {
        using var folder = new TemporaryDirectory();
        var time = new ManualTimeProvider();
        var firstInput = new Pipe();
        var firstOutput = new Pipe();
        var first = AgentProgram.RunAsync(["--folder", folder.Path, "--host", "h1"], firstInput.Reader.AsStream(), firstOutput.Writer.AsStream(), TextWriter.Null, time, CancellationToken.None);
        using var firstLines = new StreamReader(firstOutput.Reader.AsStream(), Encoding.UTF8);
        Assert.IsType<AgentHello>(Read(await firstLines.ReadLineAsync().WithTimeout()));
        var output = new MemoryStream();
        var error = new StringWriter();

        var second = await AgentProgram.RunAsync(["--folder", folder.Path, "--host", "h2"], new Pipe().Reader.AsStream(), output, error, time, CancellationToken.None).WithTimeout();
        await firstInput.Writer.CompleteAsync();
        await first.WithTimeout();
        var third = AgentProgram.RunAsync(["--folder", folder.Path, "--host", "h2"], new MemoryStream(), Stream.Null, TextWriter.Null, time, CancellationToken.None);

        Assert.Equal(AgentProgram.FolderInUse, second);
        var refused = Assert.IsType<AgentRefused>(Read(Encoding.UTF8.GetString(output.ToArray()).Trim()));
        Assert.Equal($"the folder {folder.Path} is in use by another agent (process {Environment.ProcessId}, for host h1); "
            + "two hosts registered for one machine and one login share it: give each host its own --agent-dir", refused.Reason);
        Assert.Contains(refused.Reason, error.ToString());
        Assert.Equal(0, await third.WithTimeout());
    }

    [Fact]
    public async Task RunAsync_WatchHealthOfAPortNobodyListensOn_AnswersDoneAndSendsTheFailure()
    {
        using var folder = new TemporaryDirectory();
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var input = new Pipe();
        var output = new Pipe();
        var run = AgentProgram.RunAsync(["--folder", folder.Path, "--heartbeat-ms", "60000"], input.Reader.AsStream(), output.Writer.AsStream(), TextWriter.Null,
            new ManualTimeProvider(), CancellationToken.None);
        using var lines = new StreamReader(output.Reader.AsStream(), Encoding.UTF8);
        Assert.IsType<AgentHello>(Read(await lines.ReadLineAsync().WithTimeout()));

        var watch = new AgentWatchHealth
        {
            Id = 5, ServerId = "web-1", Kind = AgentProbeKind.Tcp, Address = "127.0.0.1", Port = port, IntervalMs = 1000, BootIntervalMs = 100,
            TimeoutMs = 1000, HealthyAfter = 1, UnhealthyAfter = 1, SpreadStepMs = 10,
        };
        await input.Writer.WriteAsync(JsonSerializer.SerializeToUtf8Bytes<AgentMessage>(watch, AgentJsonContext.Default.AgentMessage).Append((byte)'\n').ToArray());
        var said = new[] { Read(await lines.ReadLineAsync().WithTimeout()), Read(await lines.ReadLineAsync().WithTimeout()) };
        await input.Writer.CompleteAsync();

        Assert.Equal(0, await run.WithTimeout());
        Assert.Equal(5, Assert.Single(said.OfType<AgentDone>()).ReplyTo);
        var health = Assert.Single(said.OfType<AgentHealth>());
        Assert.Equal(("web-1", 5L, false), (health.ServerId, health.Watch, health.Passed));
    }

    [Fact]
    public void Digest_SameServersInAnotherOrder_SameDigest_AStateChanged_Another()
    {
        AgentServer Server(string id, AgentServerState state) => new()
        {
            Id = id, Name = id, Deployment = "demo", Tier = "web", Zone = "a", Address = "127.0.0.1", ImageId = "sha256:1", State = state,
            LaunchedAt = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero), RootPath = "/r", LogPath = "/l", ConfigPath = "/c",
        };

        var digest = ServerMapping.Digest([Server("web-1", AgentServerState.Running), Server("web-2", AgentServerState.Running)]);

        Assert.Equal(32, digest.Length);
        Assert.Equal(digest, ServerMapping.Digest([Server("web-2", AgentServerState.Running), Server("web-1", AgentServerState.Running)]));
        Assert.NotEqual(digest, ServerMapping.Digest([Server("web-1", AgentServerState.Running), Server("web-2", AgentServerState.Stopped)]));
        Assert.NotEqual(digest, ServerMapping.Digest([Server("web-1", AgentServerState.Running)]));
    }

    private static AgentMessage Read(string? line) => JsonSerializer.Deserialize(line!, AgentJsonContext.Default.AgentMessage)!;
}
