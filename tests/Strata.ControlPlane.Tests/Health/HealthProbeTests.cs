using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strata.ControlPlane.Health;
using Strata.Providers.Probes;
using Strata.Spec.Model;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Health;

[Trait("kind", "unit")]
public sealed class HealthProbeTests : IAsyncLifetime
{
    private static readonly IReadOnlyDictionary<string, string> s_noEnvironment = new Dictionary<string, string>();

    private readonly ControlPlaneServices _services = new();
    private readonly TaskCompletionSource _releaseSlow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _app;
    private int _port;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapGet("/ok", () => Results.Ok());
        _app.MapGet("/redirect", () => Results.Redirect("/ok"));
        _app.MapGet("/fail", () => Results.StatusCode(StatusCodes.Status500InternalServerError));
        _app.MapGet("/slow", async (HttpContext context) =>
        {
            await _releaseSlow.Task.WaitAsync(context.RequestAborted);
            return Results.Ok();
        });
        await _app.StartAsync().WithTimeout();
        _port = new Uri(_app.Urls.Single()).Port;
    }

    public async Task DisposeAsync()
    {
        _releaseSlow.TrySetResult();
        if (_app is not null)
        {
            await _app.StopAsync().WithTimeout();
            await _app.DisposeAsync();
        }

        await _services.DisposeAsync();
    }

    [Fact]
    public async Task ProbeAsync_HttpAnswering200_Passes()
    {
        var result = await ProbeAsync(Http("/ok"));

        Assert.True(result.Passed, result.Detail);
        Assert.Null(result.Detail);
    }

    [Fact]
    public async Task ProbeAsync_HttpAnsweringRedirect_Passes()
    {
        var result = await ProbeAsync(Http("/redirect"));

        Assert.True(result.Passed, result.Detail);
    }

    [Fact]
    public async Task ProbeAsync_HttpAnswering500_FailsWithStatus()
    {
        var result = await ProbeAsync(Http("/fail"));

        Assert.False(result.Passed);
        Assert.Equal("GET /fail answered 500", result.Detail);
    }

    [Fact]
    public async Task ProbeAsync_HttpNotAnsweringInTime_TimesOut()
    {
        var result = await ProbeAsync(Http("/slow") with { Timeout = TimeSpan.FromMilliseconds(200) });

        Assert.False(result.Passed);
        Assert.Equal("timed out after 200 ms", result.Detail);
    }

    [Fact]
    public async Task ProbeAsync_HttpWithoutPort_UsesTargetDefaultPort()
    {
        var check = new HealthCheckSpec { Kind = HealthCheckKind.Http, Path = "/ok", Timeout = TimeSpan.FromSeconds(5) };

        var result = await ProbeAsync(check, new ProbeTarget("127.0.0.1", _port, null, s_noEnvironment));

        Assert.True(result.Passed, result.Detail);
    }

    [Fact]
    public async Task ProbeAsync_HttpToClosedPort_Fails()
    {
        var closed = LoopbackPorts.Reserve();
        var check = Http("/ok") with { Port = closed.Port };

        var result = await ProbeAsync(check, new ProbeTarget(closed.Address, null, null, s_noEnvironment));

        Assert.False(result.Passed);
        Assert.False(string.IsNullOrEmpty(result.Detail));
    }

    [Fact]
    public async Task ProbeAsync_HttpServerKeepingConnectionOpen_PassesWithoutWaitingForClose()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var answered = AnswerOnceAsync(listener, ["HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"], keepOpen: true);
        var check = Http("/ok") with { Port = ((IPEndPoint)listener.LocalEndpoint).Port, Timeout = TimeSpan.FromSeconds(30) };

        var result = await ProbeAsync(check);

        Assert.True(result.Passed, result.Detail);
        Assert.StartsWith("GET /ok HTTP/1.1\r\nHost: 127.0.0.1:", await answered.WithTimeout());
    }

    [Fact]
    public async Task ProbeAsync_HttpStatusLineInPieces_ReadsWholeLine()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var answered = AnswerOnceAsync(listener, ["HTTP/1.0 5", "03 Service Unavailable\r\n\r\n"], keepOpen: false);

        var result = await ProbeAsync(Http("/") with { Port = ((IPEndPoint)listener.LocalEndpoint).Port });

        await answered.WithTimeout();
        Assert.False(result.Passed);
        Assert.Equal("GET / answered 503", result.Detail);
    }

    [Fact]
    public async Task ProbeAsync_NotHttp_FailsWithReason()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var answered = AnswerOnceAsync(listener, ["SSH-2.0-OpenSSH_9.2\r\n"], keepOpen: false);

        var result = await ProbeAsync(Http("/") with { Port = ((IPEndPoint)listener.LocalEndpoint).Port });

        await answered.WithTimeout();
        Assert.False(result.Passed);
        Assert.Equal("GET / did not answer with an HTTP status line", result.Detail);
    }

    [Fact]
    public async Task ProbeAsync_TcpToListeningPort_Passes()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var check = Tcp(((IPEndPoint)listener.LocalEndpoint).Port);

        var result = await ProbeAsync(check);

        Assert.True(result.Passed, result.Detail);
    }

    [Fact]
    public async Task ProbeAsync_TcpToClosedPort_Fails()
    {
        var closed = LoopbackPorts.Reserve();

        var result = await ProbeAsync(Tcp(closed.Port), new ProbeTarget(closed.Address, null, null, s_noEnvironment));

        Assert.False(result.Passed);
        Assert.False(string.IsNullOrEmpty(result.Detail));
    }

    [Fact]
    public async Task ProbeAsync_CommandExitingZero_Passes()
    {
        var result = await ProbeAsync(Command("exit 0"));

        Assert.True(result.Passed, result.Detail);
    }

    [Fact]
    public async Task ProbeAsync_CommandExitingNonZero_FailsWithCodeAndLastErrorLine()
    {
        var result = await ProbeAsync(Command("echo ignored >&2; echo boom >&2; exit 3"));

        Assert.False(result.Passed);
        Assert.Equal("check command exited with code 3: boom", result.Detail);
    }

    [Fact]
    public async Task ProbeAsync_Command_RunsInTargetFolderWithTargetEnvironment()
    {
        using var root = new TemporaryDirectory();
        root.WriteFile("ready", "yes");
        var environment = new Dictionary<string, string> { ["STRATA_CHECK_GREETING"] = "hello" };
        var check = Command("test -f ready && test \"$STRATA_CHECK_GREETING\" = hello || { echo wrong place >&2; exit 1; }");

        var result = await ProbeAsync(check, new ProbeTarget("127.0.0.1", null, root.Path, environment) { Command = check.Command!.Raw });

        Assert.True(result.Passed, result.Detail);
    }

    [Fact]
    public async Task ProbeAsync_CommandRunningPastTimeout_TimesOut()
    {
        var check = Command("exec sleep 30") with { Timeout = TimeSpan.FromMilliseconds(300) };

        var result = await ProbeAsync(check);

        Assert.False(result.Passed);
        Assert.Equal("timed out after 300 ms", result.Detail);
    }

    /// <summary>Accepts one connection, reads the request head, writes <paramref name="pieces"/> one by one; returns the request.</summary>
    private static async Task<string> AnswerOnceAsync(TcpListener listener, string[] pieces, bool keepOpen)
    {
        using var client = await listener.AcceptTcpClientAsync();
        client.NoDelay = true;
        var stream = client.GetStream();
        var request = new System.Text.StringBuilder();
        var buffer = new byte[1024];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                break;
            }

            request.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        }

        foreach (var piece in pieces)
        {
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(piece));
            await stream.FlushAsync();
            await Task.Yield();
        }

        if (keepOpen)
        {
            // Like a keep-alive server that ignores "Connection: close": the probe must not wait for the close.
            _ = await stream.ReadAsync(buffer);
        }

        return request.ToString();
    }

    private Task<ProbeResult> ProbeAsync(HealthCheckSpec check) =>
        ProbeAsync(check, new ProbeTarget("127.0.0.1", null, null, s_noEnvironment) { Command = check.Command?.Raw });

    private Task<ProbeResult> ProbeAsync(HealthCheckSpec check, ProbeTarget target) =>
        _services.Get<IHealthProbe>().ProbeAsync(check, target, CancellationToken.None).WithTimeout();

    private HealthCheckSpec Http(string path) =>
        new() { Kind = HealthCheckKind.Http, Path = path, Port = _port, Timeout = TimeSpan.FromSeconds(5) };

    private static HealthCheckSpec Tcp(int port) =>
        new() { Kind = HealthCheckKind.Tcp, Port = port, Timeout = TimeSpan.FromSeconds(5) };

    private static HealthCheckSpec Command(string command) =>
        new() { Kind = HealthCheckKind.Command, Command = new Template(command, SourceLocation.None), Timeout = TimeSpan.FromSeconds(5) };
}
