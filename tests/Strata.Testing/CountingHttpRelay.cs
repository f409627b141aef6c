using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Strata.Testing;

/// <summary>
/// A real HTTP relay on a loopback port that forwards every request to one upstream unchanged (its Host header
/// included, so signed requests stay valid) and counts the requests that reached it: how a test proves that a
/// client did or did not retry.
/// </summary>
public sealed class CountingHttpRelay : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private int _requests;
    private int _failuresLeft;
    private int _corruptionsLeft;

    private CountingHttpRelay(WebApplication app, HttpClient upstream)
    {
        _app = app;
        _upstream = upstream;
    }

    /// <summary>The relay's address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>How many requests have reached the relay.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>
    /// Makes the next <paramref name="count"/> requests fail as a busy S3 server fails them: the relay reads the
    /// whole body (so the client has sent it) and answers 503 SlowDown without forwarding.
    /// </summary>
    public void FailNext(int count) => Volatile.Write(ref _failuresLeft, count);

    /// <summary>
    /// Flips the first byte of the next <paramref name="count"/> response bodies that have one, as a fault on the way
    /// would: the length and the headers stay as sent.
    /// </summary>
    public void CorruptNext(int count) => Volatile.Write(ref _corruptionsLeft, count);

    /// <summary>
    /// Whether response bodies are relayed without their length (chunked), as some servers and proxies send them.
    /// </summary>
    public bool WithoutContentLength { get; set; }

    /// <summary>Starts a relay to <paramref name="upstream"/> (scheme, host and port) on a port of its own.</summary>
    public static async Task<CountingHttpRelay> StartAsync(string upstream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = new Uri(upstream),
        };
        var relay = new CountingHttpRelay(app, client);
        app.Run(relay.ForwardAsync);
        await app.StartAsync().ConfigureAwait(false);
        relay.Url = app.Urls.First();
        return relay;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _upstream.Dispose();
    }

    private static bool Take(ref int count)
    {
        var left = Volatile.Read(ref count);
        while (left > 0)
        {
            var seen = Interlocked.CompareExchange(ref count, left - 1, left);
            if (seen == left)
            {
                return true;
            }

            left = seen;
        }

        return false;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var incoming = context.Request;
        if (Take(ref _failuresLeft))
        {
            await incoming.Body.CopyToAsync(Stream.Null, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.ContentType = "application/xml";
            await context.Response.WriteAsync(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
                context.RequestAborted).ConfigureAwait(false);
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(incoming.Method), incoming.Path + incoming.QueryString);
        if (incoming.ContentLength > 0 || incoming.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(incoming.Body);
        }

        foreach (var (name, values) in incoming.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!(WithoutContentLength && name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        context.Response.Headers.Remove("transfer-encoding");
        if (response.Content.Headers.ContentLength > 0 && Take(ref _corruptionsLeft))
        {
            var body = await response.Content.ReadAsByteArrayAsync(context.RequestAborted).ConfigureAwait(false);
            body[0] ^= 0xFF;
            await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }
}
