using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// A real HTTP server on its own loopback address that answers with its name: <c>/</c> at once, <c>/slow</c> when
/// the test releases it, <c>/echo</c> with the request body, <c>/headers</c> with the headers it received, and
/// <c>/status/CODE</c> with that status; and the streaming endpoints of <c>TestBackend.Streams.cs</c>.
/// </summary>
internal sealed partial class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _requests;
    private int _slowInFlight;

    private TestBackend(string name, string address, WebApplication app)
    {
        Name = name;
        Address = address;
        _app = app;
    }

    public string Name { get; }

    public string Address { get; }

    public int Port { get; private set; }

    public int Requests => Volatile.Read(ref _requests);

    public int SlowInFlight => Volatile.Read(ref _slowInFlight);

    public Member Member => new() { Name = Name, Address = Address, Port = Port };

    /// <param name="port">The port to listen on; the default, 0, takes a free one.</param>
    public static async Task<TestBackend> StartAsync(string name, string address, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(address), port));
        var app = builder.Build();
        var backend = new TestBackend(name, address, app);
        backend.Map(app);
        await app.StartAsync().WithTimeout();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend.Port = new Uri(url).Port;
        return backend;
    }

    /// <summary>Lets every <c>/slow</c> request, present and future, finish.</summary>
    public void ReleaseSlowRequests() => _release.TrySetResult();

    /// <summary>Lets every held stream (<c>/sse</c>, <c>/download</c>), present and future, finish.</summary>
    public void ReleaseStreams() => _releaseStreams.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        ReleaseSlowRequests();
        ReleaseStreams();
        await _app.StopAsync().WithTimeout();
        await _app.DisposeAsync();
    }

    private void Map(WebApplication app)
    {
        app.Use((context, next) =>
        {
            Interlocked.Increment(ref _requests);
            return next(context);
        });
        app.MapGet("/", () => Name);
        app.MapGet("/slow", async () =>
        {
            Interlocked.Increment(ref _slowInFlight);
            try
            {
                await _release.Task;
                return $"{Name}-slow";
            }
            finally
            {
                Interlocked.Decrement(ref _slowInFlight);
            }
        });
        app.MapPost("/echo", EchoAsync);
        app.MapGet("/status/{code:int}", (int code) => Results.Text(Name, statusCode: code));
        MapStreams(app);
        app.MapGet("/headers", (HttpRequest request) =>
            string.Join('\n', request.Headers.Select(h => $"{h.Key}: {h.Value}")));
    }

    /// <summary>
    /// Reads the whole body before answering. An echo that answered while still reading would need every client in the
    /// chain to read its response while sending, which HttpClient does not do for HTTP/1.1: it sends the whole body
    /// first. A large body then only got through when the sockets' buffers happened to hold all of it.
    /// </summary>
    private static async Task EchoAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = body.Length;
        body.Position = 0;
        await body.CopyToAsync(context.Response.Body);
    }
}
