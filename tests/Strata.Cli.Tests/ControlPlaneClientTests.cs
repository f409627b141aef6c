using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strata.Api.Contracts;
using Strata.Api.Contracts.Events;
using Strata.Cli.Client;
using Strata.ControlPlane.Hosting;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// The CLI's one client over real HTTP on loopback: against the real control-plane host in this process, and against
/// small Kestrel listeners that misbehave as a dying control plane or an impostor on its port would.
/// </summary>
[Trait("kind", "unit")]
public sealed class ControlPlaneClientTests
{
    private const string Token = "strata_0011223344556677889900112233445566778899001122334455667788990011";

    [Fact]
    public async Task ConnectAsync_RunningControlPlane_OneClientServesDeploymentsTokensAndBackups()
    {
        using var home = new TemporaryDirectory("strata-client");
        var paths = new StrataPaths(home.Path);
        await using var app = ControlPlaneHost.Build(
            new ControlPlaneOptions { Listen = LoopbackPorts.Reserve().ToString(), Paths = paths, ProxyCommand = ["/bin/false"] }, l => l.ClearProviders());
        await app.StartAsync().WithTimeout();

        using var client = await ControlPlaneClient.ConnectAsync(paths, CancellationToken.None).WithTimeout();
        Assert.NotNull(client);
        var deployments = await client.ListAsync(CancellationToken.None).WithTimeout();
        var tokens = await client.ListTokensAsync(CancellationToken.None).WithTimeout();
        var missing = await Assert.ThrowsAsync<ControlPlaneException>(() => client.ListBackupsAsync("nope", CancellationToken.None)).WithTimeout();
        await app.StopAsync().WithTimeout();

        Assert.Empty(deployments);
        Assert.Contains(tokens, t => t.Name == "cli" && t.Role == "admin");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal(ExitCodes.NotFound, missing.ExitCode);
        Assert.Contains("'nope'", missing.Message);
    }

    [Fact]
    public async Task BackupsList_UnknownDeployment_ThroughTheCommandsClientNamesItAndExitsNotFound()
    {
        using var home = new TemporaryDirectory("strata-client");
        var paths = new StrataPaths(home.Path);
        await using var app = ControlPlaneHost.Build(
            new ControlPlaneOptions { Listen = LoopbackPorts.Reserve().ToString(), Paths = paths, ProxyCommand = ["/bin/false"] }, l => l.ClearProviders());
        await app.StartAsync().WithTimeout();

        var backups = await RunAsync(paths, "backups", "list", "nope");
        var tokens = await RunAsync(paths, "token", "list");
        await app.StopAsync().WithTimeout();

        Assert.True(backups.ExitCode == ExitCodes.NotFound, backups.ToString());
        Assert.Contains("strata: deployment 'nope' does not exist", backups.Error);
        Assert.True(tokens.ExitCode == ExitCodes.Success, tokens.ToString());
        Assert.Contains("cli ", tokens.Out);
    }

    [Theory]
    [InlineData("backups", "list", "hello")]
    [InlineData("status")]
    public async Task Command_AnotherProcessListensOnTheRecordedAddress_RefusesBeforeSendingAnything(params string[] args)
    {
        using var home = new TemporaryDirectory("strata-client");
        var paths = new StrataPaths(home.Path);
        using var recorded = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
        try
        {
            // This test process holds the port; server.json names another live process of this user.
            await using var impostor = await FakeControlPlane.StartAsync(paths, recorded.Id, (_, _) => Task.CompletedTask);

            var result = await RunAsync(paths, args);

            Assert.True(result.ExitCode == ExitCodes.ControlPlaneUnavailable, result.ToString());
            Assert.Contains($"refusing to send the token to {impostor.Url}", result.Error);
            Assert.Equal(0, impostor.Requests);
        }
        finally
        {
            recorded.Kill();
        }
    }

    [Fact]
    public async Task EventsFollow_ControlPlaneDiesMidStream_PrintsWhatCameAndExitsUnavailable()
    {
        using var home = new TemporaryDirectory("strata-client");
        var paths = new StrataPaths(home.Path);
        using var output = new WatchedWriter();
        await using var server = await FakeControlPlane.StartAsync(paths, Environment.ProcessId, async (context, ct) =>
        {
            var first = new DeploymentEvent { Id = 1, Deployment = "hello", Time = DateTimeOffset.UnixEpoch, Kind = "server.state", Message = "hello-web-1 is booting" };
            await context.Response.WriteAsync(JsonSerializer.Serialize(first, ApiJsonContext.Default.DeploymentEvent) + "\n", ct);
            await context.Response.Body.FlushAsync(ct);
            // Once the CLI has printed it (a reset would drop data the CLI has not read yet), the connection dies.
            await output.Written.WithTimeout();
            context.Abort();
        });

        var result = await RunAsync(paths, output, "events", "hello", "--follow");

        Assert.True(result.ExitCode == ExitCodes.ControlPlaneUnavailable, result.ToString());
        Assert.Contains("hello-web-1 is booting", result.Out);
        Assert.Contains("strata: the control plane broke off its answer to GET /api/v1/deployments/hello/events", result.Error);
    }

    [Fact]
    public async Task Events_AnswerIsNotJson_SaysSoAndExitsUnavailable()
    {
        using var home = new TemporaryDirectory("strata-client");
        var paths = new StrataPaths(home.Path);
        await using var server = await FakeControlPlane.StartAsync(paths, Environment.ProcessId,
            (context, ct) => context.Response.WriteAsync("<html>not an event</html>\n", ct));

        var result = await RunAsync(paths, "events", "hello");

        Assert.True(result.ExitCode == ExitCodes.ControlPlaneUnavailable, result.ToString());
        Assert.Contains("strata: the control plane's answer to GET /api/v1/deployments/hello/events", result.Error);
        Assert.Contains("could not be read", result.Error);
    }

    [Fact]
    public async Task ServerStop_ControlPlaneStillRunsAfterTheWait_SaysSoWithItsPidAndExitsConflict()
    {
        using var home = new TemporaryDirectory("strata-client");
        var paths = new StrataPaths(home.Path);
        // A control plane that accepts the stop and keeps running: this test process, which holds the port.
        await using var server = await FakeControlPlane.StartAsync(paths, Environment.ProcessId, (_, _) => Task.CompletedTask);

        var result = await RunAsync(paths, "server", "stop", "--timeout", "1s");

        Assert.True(result.ExitCode == ExitCodes.Conflict, result.ToString());
        Assert.Equal(1, server.StopRequests);
        Assert.Contains($"the control plane (pid {Environment.ProcessId}) is still running 1s after it was asked to stop", result.Error);
        Assert.Contains($"kill {Environment.ProcessId}", result.Error);
        Assert.DoesNotContain("stopped", result.Error);
    }

    private static async Task<CliResult> RunAsync(StrataPaths paths, params string[] args)
    {
        using var output = new StringWriter();
        return await RunAsync(paths, output, args);
    }

    private static async Task<CliResult> RunAsync(StrataPaths paths, StringWriter output, params string[] args)
    {
        using var error = new StringWriter();
        var exit = await StrataCli.RunAsync(args, new CliContext(paths, output, error)).WithTimeout();
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    /// <summary>Standard output that says when the command has first written to it.</summary>
    private sealed class WatchedWriter : StringWriter
    {
        private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Written => _written.Task;

        public override void Write(string? value)
        {
            base.Write(value);
            _written.TrySetResult();
        }

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            _written.TrySetResult();
        }
    }

    /// <summary>
    /// A Kestrel listener on a loopback port recorded in the home's <c>server.json</c> under <paramref name="pid"/>,
    /// answering <c>GET /api/v1/server</c>, accepting <c>POST /api/v1/server/stop</c> without stopping, and serving a
    /// deployment's events with the handler given.
    /// </summary>
    private sealed class FakeControlPlane : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _requests;
        private int _stopRequests;

        private FakeControlPlane(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public string Url { get; }

        public int Requests => Volatile.Read(ref _requests);

        public int StopRequests => Volatile.Read(ref _stopRequests);

        public static async Task<FakeControlPlane> StartAsync(StrataPaths paths, int pid, Func<HttpContext, CancellationToken, Task> events)
        {
            var endpoint = LoopbackPorts.Reserve();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(endpoint.Address), endpoint.Port));
            var app = builder.Build();
            var info = new ServerInfo { Pid = pid, Url = endpoint.Url, Version = "0.1.0", Home = paths.Root, StartedAt = DateTimeOffset.UnixEpoch };
            var fake = new FakeControlPlane(app, endpoint.Url);
            app.Use((context, next) =>
            {
                Interlocked.Increment(ref fake._requests);
                return next(context);
            });
            app.MapGet("/api/v1/server", () => Results.Json(info, ApiJsonContext.Default.ServerInfo));
            app.MapPost("/api/v1/server/stop", () =>
            {
                Interlocked.Increment(ref fake._stopRequests);
                return Results.Accepted();
            });
            app.MapGet("/api/v1/deployments/{name}/events", (HttpContext context) => events(context, context.RequestAborted));
            await app.StartAsync().WithTimeout();
            File.WriteAllText(paths.TokenFile, Token);
            File.WriteAllText(paths.ServerInfoFile, JsonSerializer.Serialize(info, ApiJsonContext.Default.ServerInfo));
            return fake;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync().WithTimeout();
            await _app.DisposeAsync();
        }
    }
}
