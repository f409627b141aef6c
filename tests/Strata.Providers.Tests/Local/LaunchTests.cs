using Strata.Common.Processes;
using Strata.Testing;

namespace Strata.Providers.Tests.Local;

[Trait("kind", "e2e")]
public sealed class LaunchTests : IAsyncLifetime
{
    private readonly LocalProviderHarness _harness = new();
    private MachineImage _image = null!;

    public async Task InitializeAsync() =>
        _image = await _harness.RegisterImageAsync(("hello.txt", "hello from the image"));

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task LaunchAsync_HttpServer_AnswersOnItsOwnAddress()
    {
        // The server listens on an address of its own, in the harness's block, so any port number will do.
        var port = LoopbackPorts.Reserve().Port;
        var request = LocalProviderHarness.Request(_image, $"exec python3 -m http.server {port} --bind \"$STRATA_ADDRESS\"") with { Ports = [port] };

        var server = await _harness.LaunchAsync(request);

        Assert.Equal(ServerInstanceState.Running, server.State);
        Assert.Matches(@"^127\.\d+\.\d+\.\d+$", server.Address);
        Assert.DoesNotMatch(@"^127\.0\.0\.", server.Address);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string? body = null;
        await Eventually.WaitAsync(async () =>
        {
            body = await http.GetStringAsync($"http://{server.Address}:{port}/hello.txt");
            return true;
        }, "the server to answer on its address");
        Assert.Equal("hello from the image", body);
    }

    [Fact]
    public async Task LaunchAsync_SettingsCallback_SeesAllocatedAddressAndEnvironmentIsSet()
    {
        ServerIdentity? seen = null;
        var request = LocalProviderHarness.Request(_image, "") with
        {
            Name = "web-0",
            Settings = identity =>
            {
                seen = identity;
                return new LaunchSettings
                {
                    RunCommand = $"echo listening on {identity.Address}; exec sleep 1000",
                    Environment = new Dictionary<string, string> { ["GREETING"] = "hi", ["STRATA_ADDRESS"] = "overridden?" },
                };
            },
        };

        var server = await _harness.LaunchAsync(request);

        Assert.Equal(server.Address, seen!.Address);
        Assert.Equal(server.RootPath, seen.RootPath);
        var environment = ReadEnvironment(server.ProcessId!.Value, "STRATA_ADDRESS", "GREETING", "STRATA_SERVER_NAME", "STRATA_SERVER_ID",
            "STRATA_MARKER", "STRATA_ENGINE", "STRATA_ZONE", "STRATA_TIER", "STRATA_DEPLOYMENT", "STRATA_CONFIG");
        Assert.Equal(server.Address, environment["STRATA_ADDRESS"]);
        Assert.Equal("hi", environment["GREETING"]);
        Assert.Equal("web-0", environment["STRATA_SERVER_NAME"]);
        Assert.Equal(server.Id, environment["STRATA_SERVER_ID"]);
        Assert.Equal(server.Id, environment["STRATA_MARKER"]);
        Assert.Equal(Path.GetFullPath(_harness.Options.RootPath), environment["STRATA_ENGINE"]);
        Assert.Equal(server.Zone, environment["STRATA_ZONE"]);
        Assert.Equal("web", environment["STRATA_TIER"]);
        Assert.Equal("hello", environment["STRATA_DEPLOYMENT"]);
        Assert.Equal(server.ConfigPath, environment["STRATA_CONFIG"]);
        await Eventually.WaitAsync(async () =>
            (await _harness.Provider.ReadLogTailAsync(server.Id, 10, CancellationToken.None)).Contains($"listening on {server.Address}"),
            "the run command's output in the log");
    }

    [Fact]
    public async Task LaunchAsync_SuccessiveLaunches_EachGetsANewAddress()
    {
        var first = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000"));
        await _harness.Provider.TerminateAsync(first.Id, null, CancellationToken.None).WithTimeout();

        var second = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000"));
        var afterRestart = await _harness.CreateProvider()
            .LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000"), CancellationToken.None).WithTimeout();

        Assert.Equal(3, new[] { first.Address, second.Address, afterRestart.Address }.Distinct().Count());
    }

    [Fact]
    public async Task LaunchAsync_ManyInParallel_DistinctAddressesSpreadAcrossZones()
    {
        var launches = Enumerable.Range(0, 9).Select(_ => _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000")));

        var servers = await Task.WhenAll(launches).WithTimeout();

        Assert.All(servers, s => Assert.Equal(ServerInstanceState.Running, s.State));
        Assert.Equal(9, servers.Select(s => s.Address).Distinct().Count());
        Assert.Equal(9, servers.Select(s => s.ProcessId).Distinct().Count());
        Assert.All(servers.GroupBy(s => s.Zone), zone => Assert.Equal(3, zone.Count()));
    }

    [Fact]
    public async Task LaunchAsync_ZonesGiven_PlacedInParallelWithDistinctAddresses()
    {
        // Each settings callback waits until all four are inside at once: a placement serialised across launches
        // (as it was, settings included) never lets the second in while the first waits.
        using var together = new CountdownEvent(4);
        var launches = Enumerable.Range(0, 4).Select(i => Task.Run(() => _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000") with
        {
            Zone = $"local-{(char)('a' + (i % 3))}",
            Settings = _ =>
            {
                together.Signal();
                return together.Wait(TimeSpan.FromSeconds(20))
                    ? new LaunchSettings { RunCommand = "exec sleep 1000" }
                    : throw new TimeoutException("the launch settings were resolved one placement at a time");
            },
        })));

        var servers = await Task.WhenAll(launches).WithTimeout();

        Assert.All(servers, s => Assert.Equal(ServerInstanceState.Running, s.State));
        Assert.Equal(4, servers.Select(s => s.Address).Distinct().Count());
    }

    [Fact]
    public async Task LaunchAsync_SameIdTwice_ReturnsSameProcess()
    {
        var request = LocalProviderHarness.Request(_image, "exec sleep 1000");

        var first = await _harness.LaunchAsync(request);
        var again = await _harness.LaunchAsync(request);
        var concurrent = await Task.WhenAll(_harness.LaunchAsync(request), _harness.LaunchAsync(request)).WithTimeout();

        Assert.Equal(first.ProcessId, again.ProcessId);
        Assert.All(concurrent, s => Assert.Equal(first.ProcessId, s.ProcessId));
        Assert.Single(await _harness.Provider.ListServersAsync("hello", CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task DescribeServerAsync_FreshProviderOverSameFolder_AdoptsRunningServer()
    {
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000"));
        var restarted = _harness.CreateProvider();

        var described = await restarted.DescribeServerAsync(server.Id, CancellationToken.None).WithTimeout();
        var relaunched = await restarted.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000", server.Id), CancellationToken.None).WithTimeout();
        var listed = await restarted.ListServersAsync(null, CancellationToken.None).WithTimeout();

        Assert.Equal(ServerInstanceState.Running, described!.State);
        Assert.Equal(server.ProcessId, described.ProcessId);
        Assert.Equal(server.ProcessId, relaunched.ProcessId);
        Assert.Equal([server.Id], listed.Select(s => s.Id));
    }

    [Fact]
    public async Task DescribeServerAsync_ProcessKilled_ReportsStopped()
    {
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000"));

        System.Diagnostics.Process.GetProcessById(server.ProcessId!.Value).Kill();

        await Eventually.WaitAsync(async () =>
            (await _harness.Provider.DescribeServerAsync(server.Id, CancellationToken.None))?.State == ServerInstanceState.Stopped,
            "the killed server to be reported Stopped");
        var stopped = await _harness.CreateProvider().DescribeServerAsync(server.Id, CancellationToken.None).WithTimeout();
        Assert.Equal(ServerInstanceState.Stopped, stopped!.State);
        Assert.Contains($"process {server.ProcessId}", stopped.Message);
    }

    [Fact]
    public async Task LaunchAsync_ConfigureHookFails_FailedWithMessageAndRunCommandNeverStarts()
    {
        var request = LocalProviderHarness.Request(_image, "touch ran; exec sleep 1000", configure: "echo starting; echo 'no config found' >&2; exit 3");

        var server = await _harness.LaunchAsync(request);

        Assert.Equal(ServerInstanceState.Failed, server.State);
        Assert.Equal(3, server.ExitCode);
        Assert.Equal("configure hook exited with code 3: no config found", server.Message);
        Assert.False(File.Exists(Path.Combine(server.RootPath, "ran")));
        Assert.Null(server.ProcessId);
        var described = await _harness.Provider.DescribeServerAsync(server.Id, CancellationToken.None).WithTimeout();
        Assert.Equal(ServerInstanceState.Failed, described!.State);
    }

    [Fact]
    public async Task LaunchAsync_ConfigureHookSucceeds_RunsInRootBeforeRunCommand()
    {
        var request = LocalProviderHarness.Request(_image, "cat configured; exec sleep 1000", configure: "echo \"configured for $STRATA_ADDRESS\" > configured");

        var server = await _harness.LaunchAsync(request);

        Assert.Equal(ServerInstanceState.Running, server.State);
        await Eventually.WaitAsync(async () =>
            (await _harness.Provider.ReadLogTailAsync(server.Id, 5, CancellationToken.None)).Contains($"configured for {server.Address}"),
            "the run command to print what the hook wrote");
    }

    [Fact]
    public async Task LaunchAsync_ConfigureHookTooSlow_FailedAndHookKilled()
    {
        await using var local = new LocalProviderHarness(o => o.ConfigureTimeout = TimeSpan.FromMilliseconds(300));
        var image = await local.RegisterImageAsync(("a", "b"));

        var server = await local.LaunchAsync(LocalProviderHarness.Request(image, "exec sleep 1000", configure: "echo waiting; exec sleep 1000"));

        Assert.Equal(ServerInstanceState.Failed, server.State);
        Assert.StartsWith("configure hook did not finish within", server.Message);
        Assert.Empty(Processes.WithMarker($"{server.Id}:configure"));
    }

    [Fact]
    public async Task LaunchAsync_RunCommandExitsAtOnce_FailedWithExitCodeAndLogTail()
    {
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "echo 'cannot open database' >&2; exit 7"));

        Assert.Equal(ServerInstanceState.Failed, server.State);
        Assert.Equal(7, server.ExitCode);
        Assert.Equal("run command exited immediately with code 7: cannot open database", server.Message);
        var listed = await _harness.Provider.ListServersAsync(null, CancellationToken.None).WithTimeout();
        Assert.Equal(ServerInstanceState.Failed, listed.Single().State);
    }

    [Fact]
    public async Task LaunchAsync_NoStartupWindowAndCommandExits_ReturnsRunningThenReportsTheStop()
    {
        await using var local = new LocalProviderHarness(o => o.StartupWindow = TimeSpan.Zero);
        var image = await local.RegisterImageAsync(("a", "b"));
        var stopped = new TaskCompletionSource<ServerStopped>(TaskCreationOptions.RunContinuationsAsynchronously);
        local.Provider.ServerStopped += e => stopped.TrySetResult(e);
        var release = local.Folder.Combine("release");

        var server = await local.LaunchAsync(LocalProviderHarness.Request(image, $"while [ ! -e '{release}' ]; do sleep 0.01; done; echo 'cannot open database' >&2; exit 7"));
        Assert.Equal(ServerInstanceState.Running, server.State);
        File.WriteAllText(release, "");

        var stop = await stopped.Task.WithTimeout();
        Assert.Equal(new ServerStopped(server.Deployment, server.Id), stop);
        var listed = (await local.Provider.ListServersAsync(null, CancellationToken.None).WithTimeout()).Single();
        Assert.Equal(ServerInstanceState.Stopped, listed.State);
        Assert.Equal(7, listed.ExitCode);
        Assert.Equal(["cannot open database"], await local.Provider.ReadLogTailAsync(server.Id, 3, CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task LaunchAsync_PortTakenOnItsAddress_FailedAndOtherServersUnaffected()
    {
        await using var single = new LocalProviderHarness(o => o.AddressRangeEnd = o.AddressRangeStart);
        var image = await single.RegisterImageAsync(("a", "b"));
        var port = LoopbackPorts.GetFree(single.Options.AddressRangeStart);
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Parse(single.Options.AddressRangeStart), port);
        squatter.Start();

        var failed = await single.LaunchAsync(LocalProviderHarness.Request(image, "exec sleep 1000") with { Ports = [port] });
        var healthy = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000"));

        Assert.Equal(ServerInstanceState.Failed, failed.State);
        Assert.Equal($"port {port} is already in use on {single.Options.AddressRangeStart}", failed.Message);
        Assert.Equal(ServerInstanceState.Running, healthy.State);
    }

    [Fact]
    public async Task LaunchAsync_ImageNotInObjectStore_FailedNamingImage()
    {
        var ghost = _image with { Id = "sha256:" + new string('0', 64) };

        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(ghost, "exec sleep 1000"));

        Assert.Equal(ServerInstanceState.Failed, server.State);
        Assert.Contains(ghost.Id, server.Message);
    }

    [Fact]
    public async Task LaunchAsync_Configuration_WrittenWithMode0600IncludingSecret()
    {
        var request = LocalProviderHarness.Request(_image, "exec sleep 1000") with
        {
            Settings = identity => new LaunchSettings
            {
                RunCommand = "exec sleep 1000",
                Configuration = new System.Text.Json.Nodes.JsonObject { ["secrets"] = new System.Text.Json.Nodes.JsonObject { ["db_password"] = "s3cr3t" } },
            },
        };

        var server = await _harness.LaunchAsync(request);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(server.ConfigPath));
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(server.ConfigPath))!;
        Assert.Equal("s3cr3t", (string?)config["secrets"]!["db_password"]);
        Assert.Equal(server.Address, (string?)config["strata"]!["address"]);
        Assert.Equal(server.Id, (string?)config["strata"]!["serverId"]);
    }

    [Theory]
    [InlineData("Bad_Id")]
    [InlineData("../escape")]
    [InlineData("")]
    public async Task LaunchAsync_InvalidServerId_ThrowsArgumentException(string id)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000", id)));

        Assert.Contains($"server id '{id}'", error.Message);
    }

    [Fact]
    public async Task LaunchAsync_UnknownZone_ThrowsListingZones()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000") with { Zone = "mars" }));

        Assert.Contains("local-a, local-b, local-c", error.Message);
    }

    // Read as the provider reads it: the run command may be in the middle of its exec, when the environment reads empty.
    private static Dictionary<string, string?> ReadEnvironment(int pid, params string[] names) =>
        names.Zip(ProcessEnvironment.Values(pid, names) ?? throw new InvalidOperationException($"process {pid} is gone"))
            .ToDictionary(pair => pair.First, pair => pair.Second);
}
