using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// The backend's streaming endpoints: <c>/ws</c> a WebSocket echo (each message back as <c>NAME:TEXT</c>; the message
/// <c>die</c> drops the connection without a close, as a server that is killed), <c>/sse</c> one server-sent event,
/// then a second once the test releases streams, <c>/download/MIB</c> that many MiB, the first at once and the rest
/// once released, and <c>/upload</c> the byte count and SHA-256 of the body it read, counting bytes as they arrive.
/// </summary>
internal sealed partial class TestBackend
{
    private const int MiB = 1024 * 1024;

    private readonly TaskCompletionSource _releaseStreams = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _uploadedBytes;
    private int _openWebSockets;

    /// <summary>Bytes of <c>/upload</c> bodies read so far.</summary>
    public long UploadedBytes => Interlocked.Read(ref _uploadedBytes);

    public int OpenWebSockets => Volatile.Read(ref _openWebSockets);

    private void MapStreams(WebApplication app)
    {
        app.UseWebSockets();
        app.Map("/ws", EchoWebSocketAsync);
        app.MapGet("/sse", ServerSentEventsAsync);
        app.MapGet("/download/{mib:int}", DownloadAsync);
        app.MapPost("/upload", UploadAsync);
    }

    private async Task EchoWebSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        Interlocked.Increment(ref _openWebSockets);
        try
        {
            var buffer = new byte[4096];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
                    return;
                }

                var text = Encoding.UTF8.GetString(buffer, 0, received.Count);
                if (text == "die")
                {
                    context.Abort();
                    return;
                }

                await socket.SendAsync(Encoding.UTF8.GetBytes($"{Name}:{text}"), WebSocketMessageType.Text, true, context.RequestAborted);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _openWebSockets);
        }
    }

    private async Task ServerSentEventsAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync($"data: {Name} first\n\n");
        await context.Response.Body.FlushAsync();
        await _releaseStreams.Task.WaitAsync(context.RequestAborted);
        await context.Response.WriteAsync($"data: {Name} last\n\n");
    }

    private async Task DownloadAsync(HttpContext context, int mib)
    {
        context.Response.ContentType = "application/octet-stream";
        var chunk = new byte[MiB];
        for (var i = 0; i < mib; i++)
        {
            Array.Fill(chunk, (byte)i);
            await context.Response.Body.WriteAsync(chunk);
            if (i == 0)
            {
                await context.Response.Body.FlushAsync();
                await _releaseStreams.Task.WaitAsync(context.RequestAborted);
            }
        }
    }

    private async Task UploadAsync(HttpContext context)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long total = 0;
        while (await context.Request.Body.ReadAsync(buffer) is > 0 and var read)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
            Interlocked.Add(ref _uploadedBytes, read);
        }

        await context.Response.WriteAsync($"{total} {Convert.ToHexStringLower(hash.GetHashAndReset())}");
    }
}
