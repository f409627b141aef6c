using System.Net.Http;
using Strata.Providers.Hosts.Agent;
using Strata.Testing;

namespace Strata.Providers.Hosts.Tests;

/// <summary>
/// Servers run on a host by its agent: a real sshd per host, the real agent installed and spoken to through SSH, real
/// server processes bound to the host's address.
/// </summary>
[Trait("kind", "e2e")]
public sealed class HostAgentTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task LaunchAsync_ServerOnTheHost_AnswersAtTheHostsAddressAndIsListedThenTerminated()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        await using var images = new ImageBakery(harness.Images);
        var agent = await ConnectAsync(harness, host);

        var server = await agent.LaunchAsync(images.HttpServer("web-1", await images.BakeAsync("hello from the host")), CancellationToken.None).WithTimeout(s_timeout);
        var body = await GetWhenUpAsync($"http://{host.Address}:8000/hello.txt");
        var listed = await agent.ListServersAsync("demo", CancellationToken.None).WithTimeout(s_timeout);
        await agent.TerminateAsync("web-1", TimeSpan.FromSeconds(5), CancellationToken.None).WithTimeout(s_timeout);

        Assert.Equal((ServerInstanceState.Running, host.Address, "a"), (server.State, server.Address, server.Zone));
        Assert.Equal("hello from the host", body);
        Assert.Equal("web-1", Assert.Single(listed).Id);
        Assert.Empty(await agent.ListServersAsync(null, CancellationToken.None).WithTimeout(s_timeout));
        await Assert.ThrowsAsync<HttpRequestException>(() => s_http.GetStringAsync($"http://{host.Address}:8000/hello.txt"));
    }

    [Fact]
    public async Task WatchHealthAsync_ServerOnTheHost_ItsAgentProbesItAndSendsOnlyWhatChanges()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        await using var images = new ImageBakery(harness.Images);
        var agent = await ConnectAsync(harness, host);
        var reports = new System.Collections.Concurrent.ConcurrentQueue<Strata.Api.Contracts.Agent.AgentHealth>();
        agent.Health += reports.Enqueue;
        await agent.LaunchAsync(images.HttpServer("web-1", await images.BakeAsync("up")), CancellationToken.None).WithTimeout(s_timeout);
        await GetWhenUpAsync($"http://{host.Address}:8000/hello.txt");
        var spec = new Probes.ProbeWatchSpec
        {
            Kind = Probes.SocketProbeKind.Http, Address = host.Address, Port = 8000, Path = "/hello.txt", Interval = TimeSpan.FromMilliseconds(200),
            Timeout = TimeSpan.FromSeconds(5), HealthyAfter = 2, UnhealthyAfter = 2,
        };

        long watch = 0;
        Assert.Null(await agent.WatchHealthAsync("web-1", spec, id => watch = id, CancellationToken.None).WithTimeout(s_timeout));
        await Eventually.WaitAsync(() => reports.Count(r => r.Passed) == 2, "two passes from the host");
        await Task.Delay(TimeSpan.FromSeconds(1));
        var whileUp = reports.Count;
        await agent.TerminateAsync("web-1", TimeSpan.FromSeconds(5), CancellationToken.None).WithTimeout(s_timeout);
        await Task.Delay(TimeSpan.FromSeconds(1));

        // Five probes passed in that second; none of them was sent. The terminated server's failures are not sent either.
        Assert.Equal(2, whileUp);
        Assert.Equal(2, reports.Count);
        Assert.All(reports, r => Assert.Equal(("web-1", watch), (r.ServerId, r.Watch)));
    }

    [Fact]
    public async Task ServerStopped_RunCommandExitsOnTheHost_ReportedThroughTheChannelAndListedStopped()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        await using var images = new ImageBakery(harness.Images);
        var agent = await ConnectAsync(harness, host);
        var stopped = new TaskCompletionSource<ServerStopped>(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.ServerStopped += s => stopped.TrySetResult(s);
        var image = await images.BakeAsync("short-lived");

        await agent.LaunchAsync(images.Request("job-1", image, "sleep 1; exit 3"), CancellationToken.None).WithTimeout(s_timeout);
        var exited = await stopped.Task.WithTimeout(s_timeout);
        var listed = Assert.Single(await agent.ListServersAsync("demo", CancellationToken.None).WithTimeout(s_timeout));

        Assert.Equal(new ServerStopped("demo", "job-1"), exited);
        Assert.Equal((ServerInstanceState.Stopped, 3), (listed.State, listed.ExitCode));
    }

    [Fact]
    public async Task Logs_ServerWritingLinesOnTheHost_TailReadAndFollowedUntilTheFollowerStops()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        await using var images = new ImageBakery(harness.Images);
        var agent = await ConnectAsync(harness, host);
        // Three lines at once, then one more each time the file "more" appears (the host is this machine).
        using var signals = new TemporaryDirectory("strata-log-signals");
        var more = Path.Combine(signals.Path, "more");
        var image = await images.BakeAsync("logs");
        await agent.LaunchAsync(images.Request("job-1", image,
            $"echo one; echo two; echo three; n=0; while sleep 0.05; do [ -e {more} ] || continue; n=$((n+1)); rm {more}; echo more-$n; done"),
            CancellationToken.None).WithTimeout(s_timeout);
        await Eventually.WaitAsync(async () => (await agent.ReadLogTailAsync("job-1", 10, CancellationToken.None)).Count == 3, "the first three lines");

        var tail = await agent.ReadLogTailAsync("job-1", 2, CancellationToken.None).WithTimeout(s_timeout);
        using var stop = new CancellationTokenSource();
        await using var follow = agent.FollowLogAsync("job-1", 1, stop.Token).GetAsyncEnumerator(stop.Token);
        var followed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await follow.MoveNextAsync().AsTask().WithTimeout(s_timeout));
            followed.Add(follow.Current);
            await File.WriteAllTextAsync(more, "");
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => follow.MoveNextAsync().AsTask().WithTimeout(s_timeout));
        await Eventually.WaitAsync(async () => (await agent.ReadLogTailAsync("job-1", 1, CancellationToken.None)) is ["more-3"], "the line of the last file");
        var again = agent.FollowLogAsync("job-1", 1, CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await again.MoveNextAsync().AsTask().WithTimeout(s_timeout));
        var lastLine = again.Current;
        await again.DisposeAsync();

        Assert.Equal(["two", "three"], tail);
        Assert.Equal(["three", "more-1", "more-2"], followed);
        Assert.Equal("more-3", lastLine);
        var missing = await Assert.ThrowsAsync<ProviderException>(() => agent.ReadLogTailAsync("job-9", 1, CancellationToken.None)).WithTimeout(s_timeout);
        Assert.Contains("job-9", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconnect_AgentRestarted_AdoptsTheServerItsPredecessorLaunched()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        await using var images = new ImageBakery(harness.Images);
        var registration = harness.Registration(host) with { Zone = "a" };
        var agent = await ConnectAsync(harness, host);
        var launched = await agent.LaunchAsync(images.HttpServer("web-1", await images.BakeAsync("still here")), CancellationToken.None).WithTimeout(s_timeout);
        await GetWhenUpAsync($"http://{host.Address}:8000/hello.txt");

        await harness.Fleet.DisconnectAsync("h1").WithTimeout(s_timeout);
        var servingWithoutAgent = await s_http.GetStringAsync($"http://{host.Address}:8000/hello.txt").WithTimeout(s_timeout);
        await harness.Fleet.ConnectAsync(registration, false, CancellationToken.None).WithTimeout(s_timeout);
        var next = harness.Fleet.AgentOf("h1")!;
        var adopted = Assert.Single(await next.ListServersAsync(null, CancellationToken.None).WithTimeout(s_timeout));
        await next.TerminateAsync("web-1", TimeSpan.FromSeconds(5), CancellationToken.None).WithTimeout(s_timeout);

        Assert.Equal("still here", servingWithoutAgent);
        Assert.Equal((ServerInstanceState.Running, launched.ProcessId), (adopted.State, adopted.ProcessId));
        await Assert.ThrowsAsync<HttpRequestException>(() => s_http.GetStringAsync($"http://{host.Address}:8000/hello.txt"));
    }

    [Fact]
    public async Task Channel_AgentWritesALineOfATypeTheControlPlaneDoesNotKnow_SkippedAndTheAgentStillServes()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        await using var images = new ImageBakery(harness.Images);
        // The real agent, preceded by a line of a type a newer agent might send.
        var runtime = harness.WriteScript("newer-agent", $"#!/bin/sh\nprintf '%s\\n' '{{\"type\":\"from-a-newer-agent\",\"x\":1}}'\nexec '{SshdHost.Dotnet}' \"$@\"\n");
        var registration = harness.Registration(host) with { AgentRuntime = runtime, Zone = "a" };
        await harness.Fleet.ConnectAsync(registration, true, CancellationToken.None).WithTimeout(s_timeout);
        var agent = harness.Fleet.AgentOf("h1")!;

        var server = await agent.LaunchAsync(images.Request("job-1", await images.BakeAsync("x"), "exec sleep 60"), CancellationToken.None).WithTimeout(s_timeout);
        await agent.TerminateAsync("job-1", TimeSpan.FromSeconds(5), CancellationToken.None).WithTimeout(s_timeout);

        Assert.Equal(ServerInstanceState.Running, server.State);
        Assert.True(harness.Fleet.Find("h1")!.Connected);
    }

    [Fact]
    public async Task LaunchAsync_SecondDeploymentOfTheSameImage_SendsNoImageBytes()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        await using var images = new ImageBakery(harness.Images);
        var registration = harness.Registration(host) with { Zone = "a" };
        var agent = await ConnectAsync(harness, host);
        var image = await images.BakeAsync(new string('x', 200_000));

        await agent.LaunchAsync(images.Request("web-1", image, null), CancellationToken.None).WithTimeout(s_timeout);
        var first = agent.ImageBytesSent;
        await agent.LaunchAsync(images.Request("web-2", image, null), CancellationToken.None).WithTimeout(s_timeout);
        var second = agent.ImageBytesSent - first;
        await harness.Fleet.ConnectAsync(registration, false, CancellationToken.None).WithTimeout(s_timeout);
        var reconnected = harness.Fleet.AgentOf("h1")!;
        var third = await reconnected.LaunchAsync(images.Request("web-3", image, null), CancellationToken.None).WithTimeout(s_timeout);

        Assert.Equal(image.SizeBytes, first);
        Assert.Equal(0, second);
        Assert.Equal((ServerInstanceState.Running, 0L), (third.State, reconnected.ImageBytesSent));
    }

    [Fact]
    public async Task LaunchAsync_ArchiveDamagedBeforeItIsSent_AgentDropsItAndTheLaunchFailsNamingTheDigest()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        await using var images = new ImageBakery(harness.Images);
        var registration = harness.Registration(host) with { Zone = "a" };
        var agent = await ConnectAsync(harness, host);
        var image = await images.BakeAsync("the real content");
        await using (var damaged = new MemoryStream("not the image"u8.ToArray()))
        {
            await harness.Images.PutAsync(ImageArchives.KeyOf(image), damaged, CancellationToken.None);
        }

        var refused = await Assert.ThrowsAsync<ProviderException>(() => agent.LaunchAsync(images.Request("web-1", image, null), CancellationToken.None)).WithTimeout(s_timeout);

        Assert.Contains($"the upload of image {image.Id} has digest sha256:", refused.Message);
        Assert.Contains("damaged on the way and is dropped", refused.Message);
        Assert.Empty(await agent.ListServersAsync(null, CancellationToken.None).WithTimeout(s_timeout));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(registration.AgentDir, "uploads")));
        Assert.False(Directory.Exists(Path.Combine(registration.AgentDir, "images", "images")));
    }

    [Fact]
    public async Task LaunchAsync_HostDiskTooFullForTheImage_FailsNamingFreeAndNeededSpaceAndSendsNothing()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        ProviderException refused;
        string[] uploads;
        long sent;
        using var mountPoint = new TemporaryDirectory("strata-small-disk");
        var harness = new FleetHarness();
        var registration = harness.Registration(host) with { Zone = "a", AgentDir = mountPoint.Combine("agent") };
        // The agent's folder is a small disk of its own: 8 MiB, of which the agent's files take about 3.
        using (var disk = SmallDisk.Mount(registration.AgentDir, 8))
        {
            // An upload cut off with an earlier agent's connection: the agent that starts deletes it.
            File.WriteAllBytes(Path.Combine(Directory.CreateDirectory(Path.Combine(registration.AgentDir, "uploads")).FullName, "left-over.tar"), new byte[1 << 20]);
            await using (harness)
            await using (var images = new ImageBakery(harness.Images))
            {
                await harness.Fleet.ConnectAsync(registration, true, CancellationToken.None).WithTimeout(s_timeout);
                var agent = harness.Fleet.AgentOf("h1")!;
                var image = await images.BakeAsync(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3 << 20)));
                // As the state gives it after a restart: without its size, which the store tells.
                refused = await Assert.ThrowsAsync<ProviderException>(() => agent.LaunchAsync(images.Request("web-1", image with { SizeBytes = 0 }, null), CancellationToken.None)).WithTimeout(s_timeout);
                uploads = [.. Directory.EnumerateFiles(Path.Combine(registration.AgentDir, "uploads")).Select(Path.GetFileName)!];
                sent = agent.ImageBytesSent;
            }
        }

        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(refused.Message,
            $@"^the disk of {SshdHost.User}@{host.Address}:{SshdHost.Port} is too full for image sha256:[0-9a-f]{{64}}: [\d.]+ MiB free where its agent keeps images and servers "
            + $@"\({registration.AgentDir}\), and a first launch of the image \([\d.]+ MiB\) needs about [\d.]+ MiB \(the upload, the copy the agent keeps, the extracted image "
            + @"and the server's copy\); nothing was sent\. Free space on the host, or drain it$"),
            refused.Message);
        Assert.Empty(uploads);
        Assert.Equal(0, sent);
    }

    [Fact]
    public async Task Volumes_CreatedAndFilledOnTheHost_ServerServesTheSentContentWhichStaysUntilTheVolumeIsDeleted()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        await using var images = new ImageBakery(harness.Images);
        using var content = new TemporaryDirectory("strata-volume");
        content.WriteFile("rows.txt", "row 1\nrow 2\n");
        content.WriteFile("nested/deeper/more.txt", "more");
        File.SetUnixFileMode(content.Combine("rows.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var agent = await ConnectAsync(harness, host);
        var request = new VolumeRequest { VolumeId = "demo-db-data-x1", Name = "data", Deployment = "demo", SizeMiB = 64 };

        var volume = await agent.CreateVolumeAsync(request, CancellationToken.None).WithTimeout(s_timeout);
        var again = await agent.CreateVolumeAsync(request, CancellationToken.None).WithTimeout(s_timeout);
        await agent.FillVolumeAsync(volume.Id, content.Path, CancellationToken.None).WithTimeout(s_timeout);
        var launch = images.HttpServer("db-1", await images.BakeAsync("db")) with { Volumes = [new VolumeAttachment(volume.Id, "data")] };
        await agent.LaunchAsync(launch, CancellationToken.None).WithTimeout(s_timeout);
        var served = await GetWhenUpAsync($"http://{host.Address}:8000/data/rows.txt");
        var nested = await s_http.GetStringAsync($"http://{host.Address}:8000/data/nested/deeper/more.txt");
        var underServer = await Assert.ThrowsAsync<ProviderException>(() => agent.FillVolumeAsync(volume.Id, content.Path, CancellationToken.None).WithTimeout(s_timeout));
        await agent.TerminateAsync("db-1", TimeSpan.FromSeconds(5), CancellationToken.None).WithTimeout(s_timeout);
        var kept = File.ReadAllText(Path.Combine(volume.Path, "rows.txt"));
        var mode = File.GetUnixFileMode(Path.Combine(volume.Path, "rows.txt"));
        await agent.DeleteVolumeAsync(volume.Id, CancellationToken.None).WithTimeout(s_timeout);
        await agent.DeleteVolumeAsync(volume.Id, CancellationToken.None).WithTimeout(s_timeout);

        Assert.Equal(("h1", "data", 64L), (volume.Host, volume.Name, volume.SizeMiB));
        Assert.Equal(volume.Path, again.Path);
        // The volume is a folder of the host's agent, not of the control plane's.
        Assert.StartsWith(harness.Registration(host).AgentDir + "/", volume.Path, StringComparison.Ordinal);
        Assert.Equal(("row 1\nrow 2\n", "more"), (served, nested));
        Assert.Contains("is attached to server db-1, which runs", underServer.Message);
        Assert.Equal("row 1\nrow 2\n", kept);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        Assert.False(Directory.Exists(volume.Path));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(harness.Registration(host).AgentDir, "uploads")));
    }

    [Fact]
    public async Task Volumes_ReadBackWhileItsServerWrites_CopiesTheContentWithModesAndLeavesNoArchiveOnTheHost()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        await using var images = new ImageBakery(harness.Images);
        using var content = new TemporaryDirectory("strata-volume");
        content.WriteFile("rows.txt", "row 1\n");
        content.WriteFile("nested/deeper/more.txt", "more");
        File.SetUnixFileMode(content.Combine("rows.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var agent = await ConnectAsync(harness, host);
        var volume = await agent.CreateVolumeAsync(new VolumeRequest { VolumeId = "demo-db-data-r1", Name = "data", Deployment = "demo" }, CancellationToken.None).WithTimeout(s_timeout);
        await agent.FillVolumeAsync(volume.Id, content.Path, CancellationToken.None).WithTimeout(s_timeout);
        // A server that appends to the volume all the while: a copy reads a volume in use, as a snapshot does.
        var writer = images.Request("db-1", await images.BakeAsync("db"), "while :; do echo x >> data/log.txt; sleep 0.01; done") with
        {
            Volumes = [new VolumeAttachment(volume.Id, "data")],
        };
        await agent.LaunchAsync(writer, CancellationToken.None).WithTimeout(s_timeout);
        await Eventually.WaitAsync(() => File.Exists(Path.Combine(volume.Path, "log.txt")), "the server to write to its volume");
        using var copy = new TemporaryDirectory("strata-volume-copy");

        var uploads = Path.Combine(harness.Registration(host).AgentDir, "uploads");
        (string[] Uploads, int Copied)? whenTaken = null;

        // Told when the host has read the volume (its archive is written), before the transfer: a thaw hook runs then.
        await agent.ReadVolumeAsync(volume.Id, copy.Path, _ =>
        {
            whenTaken = ([.. Directory.EnumerateFiles(uploads).Select(Path.GetFileName)!], Directory.EnumerateFileSystemEntries(copy.Path).Count());
            return Task.CompletedTask;
        }, CancellationToken.None).WithTimeout(s_timeout);
        var missing = await Assert.ThrowsAsync<ProviderException>(() => agent.ReadVolumeAsync("demo-db-data-none", copy.Combine("other"), null, CancellationToken.None).WithTimeout(s_timeout));

        Assert.Equal("row 1\n", File.ReadAllText(copy.Combine("rows.txt")));
        Assert.Equal("more", File.ReadAllText(copy.Combine("nested/deeper/more.txt")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(copy.Combine("rows.txt")));
        Assert.Contains("x\n", File.ReadAllText(copy.Combine("log.txt")));
        Assert.Contains("there is no volume 'demo-db-data-none' on this host", missing.Message);
        Assert.Matches(@"^volume-demo-db-data-r1-[0-9a-f]{32}\.out\.tar$", Assert.Single(whenTaken!.Value.Uploads));
        Assert.Equal(0, whenTaken.Value.Copied);
        Assert.Empty(Directory.EnumerateFiles(uploads));
    }

    [Fact]
    public async Task Volumes_ReadBackWhenItsCopyWouldFillTheHostsDisk_RefusedNamingTheSpaceAndNothingWritten()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        using var mountPoint = new TemporaryDirectory("strata-small-disk");
        using var copy = new TemporaryDirectory("strata-volume-copy");
        ProviderException refused;
        string[] uploads;
        var harness = new FleetHarness();
        var registration = harness.Registration(host) with { Zone = "a", AgentDir = mountPoint.Combine("agent") };
        // 16 MiB, of which the agent's files take about 3: a volume of 8 MiB leaves too little for its archive.
        using (var disk = SmallDisk.Mount(registration.AgentDir, 16))
        {
            await using (harness)
            {
                await harness.Fleet.ConnectAsync(registration, true, CancellationToken.None).WithTimeout(s_timeout);
                var agent = harness.Fleet.AgentOf("h1")!;
                var volume = await agent.CreateVolumeAsync(new VolumeRequest { VolumeId = "demo-db-data-f1", Name = "data", Deployment = "demo" }, CancellationToken.None).WithTimeout(s_timeout);
                // What the database on it wrote.
                File.WriteAllBytes(Path.Combine(volume.Path, "table.dat"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(8 << 20));
                refused = await Assert.ThrowsAsync<ProviderException>(() => agent.ReadVolumeAsync(volume.Id, copy.Combine("volume"), null, CancellationToken.None)).WithTimeout(s_timeout);
                uploads = [.. Directory.EnumerateFiles(Path.Combine(registration.AgentDir, "uploads")).Select(Path.GetFileName)!];
                File.Delete(Path.Combine(volume.Path, "table.dat"));
                File.WriteAllText(Path.Combine(volume.Path, "small.txt"), "fits");
                await agent.ReadVolumeAsync(volume.Id, copy.Combine("volume"), null, CancellationToken.None).WithTimeout(s_timeout);
            }
        }

        Assert.Matches(
            $@"^host h1: its disk is too full to copy volume 'demo-db-data-f1': the copy needs about 8(\.\d+)? MiB in {registration.AgentDir}/uploads, "
            + @"where [\d.]+ MiB is free and 819(\.\d+)? KiB \(5 % of the disk, at most 20 GiB\) is kept for the servers; nothing was written\. Free space on the host",
            refused.Message);
        Assert.Empty(uploads);
        Assert.Equal("fits", File.ReadAllText(copy.Combine("volume", "small.txt")));
    }

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private static async Task<HostAgent> ConnectAsync(FleetHarness harness, SshdHost host)
    {
        await harness.Fleet.ConnectAsync(harness.Registration(host) with { Zone = "a" }, true, CancellationToken.None).WithTimeout(s_timeout);
        return harness.Fleet.AgentOf("h1") ?? throw new InvalidOperationException("the host is connected but has no agent");
    }

    private static async Task<string> GetWhenUpAsync(string url)
    {
        string? body = null;
        await Eventually.WaitAsync(async () => (body = await s_http.GetStringAsync(url)) is not null, $"{url} answers");
        return body!;
    }
}
