using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Strata.ControlPlane.Hosting;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Access;

/// <summary>The real control-plane host (Kestrel, SQLite, every endpoint) on a loopback port, over a temporary home.</summary>
internal sealed class ControlPlaneApp : IAsyncDisposable
{
    private readonly TemporaryDirectory _home;

    private ControlPlaneApp(TemporaryDirectory home, WebApplication app, LoopbackEndpoint endpoint)
    {
        _home = home;
        App = app;
        Endpoint = endpoint;
        Paths = new StrataPaths(home.Path);
        Http = new HttpClient { BaseAddress = new Uri(endpoint.Url + "/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public LoopbackEndpoint Endpoint { get; }

    public StrataPaths Paths { get; }

    /// <summary>A client without a token.</summary>
    public HttpClient Http { get; }

    /// <summary>The CLI's own token (admin), as <c>$STRATA_HOME/token</c> holds it.</summary>
    public string CliToken => ServerToken.TryRead(Paths)!;

    /// <summary>
    /// Starts a control plane; <paramref name="prepare"/> may put files into the home first. No deployment is applied, so
    /// no load balancer is ever started and the proxy command is never run.
    /// </summary>
    public static async Task<ControlPlaneApp> StartAsync(Action<StrataPaths>? prepare = null)
    {
        var home = new TemporaryDirectory("strata-api");
        prepare?.Invoke(new StrataPaths(home.Path));
        var endpoint = LoopbackPorts.Reserve();
        var app = ControlPlaneHost.Build(new ControlPlaneOptions { Listen = endpoint.ToString(), Paths = new StrataPaths(home.Path), ProxyCommand = ["/bin/false"] }, l => l.ClearProviders());
        await app.StartAsync().WithTimeout();
        return new ControlPlaneApp(home, app, endpoint);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/')) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await Http.SendAsync(request).WithTimeout();
    }

    /// <summary>
    /// Sends one request with the path exactly as written (no client normalises <c>%61</c> or <c>//</c>) and returns
    /// the status code of the answer.
    /// </summary>
    public Task<int> SendRawAsync(string method, string rawPath, params string[] headers) =>
        SendRawWithHostAsync(method, rawPath, Endpoint.ToString(), headers);

    /// <summary>As <see cref="SendRawAsync"/>, with the <c>Host</c> header given.</summary>
    public async Task<int> SendRawWithHostAsync(string method, string rawPath, string host, params string[] headers)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(Endpoint.Address, Endpoint.Port).WithTimeout();
        var stream = client.GetStream();
        var text = new StringBuilder($"{method} {rawPath} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n");
        foreach (var header in headers)
        {
            text.Append(header).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(text.Append("\r\n").ToString())).AsTask().WithTimeout();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var status = await reader.ReadLineAsync().WithTimeout() ?? throw new IOException($"no answer to {method} {rawPath}");
        return int.Parse(status.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync().WithTimeout();
        await App.DisposeAsync();
        _home.Dispose();
    }
}
