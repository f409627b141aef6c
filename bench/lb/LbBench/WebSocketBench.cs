using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

/// <summary>
/// The WebSocket half of the protocol benchmark: an echo server for the load balancers' members, and a load that
/// keeps CONNECTIONS WebSockets each sending a small message and waiting for its echo, for a number of seconds.
/// </summary>
internal static class WebSocketBench
{
    private static readonly byte[] s_message = "0123456789abcdef"u8.ToArray();

    /// <summary>Echoes every message of every WebSocket on 127.0.0.1 at each port, until stopped.</summary>
    public static async Task<int> EchoAsync(IEnumerable<int> ports, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            foreach (var port in ports)
            {
                k.Listen(IPAddress.Loopback, port);
            }
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.Run(EchoOneAsync);
        await app.StartAsync(CancellationToken.None);
        await Task.Delay(Timeout.InfiniteTimeSpan, ct).ContinueWith(_ => { }, TaskScheduler.Default);
        await app.StopAsync(CancellationToken.None);
        return 0;
    }

    /// <summary>Prints "messages N rate R p99 MS" for the echoes completed within the duration.</summary>
    public static async Task<int> LoadAsync(Uri url, int connections, TimeSpan duration)
    {
        var sockets = new List<ClientWebSocket>();
        for (var i = 0; i < connections; i++)
        {
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(url, CancellationToken.None);
            sockets.Add(socket);
        }

        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(sockets.Select(s => EchoLoopAsync(s, duration)));
        var elapsed = clock.Elapsed;
        var latencies = results.SelectMany(r => r).Order().ToArray();
        var p99 = latencies.Length == 0 ? 0 : latencies[(int)(latencies.Length * 0.99)];
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture, $"messages {latencies.Length} rate {latencies.Length / elapsed.TotalSeconds:0} p99 {p99 * 1000.0 / Stopwatch.Frequency:0.00}"));
        foreach (var socket in sockets)
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            socket.Dispose();
        }

        return 0;
    }

    private static async Task<List<long>> EchoLoopAsync(ClientWebSocket socket, TimeSpan duration)
    {
        var latencies = new List<long>();
        var buffer = new byte[64];
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            var sent = Stopwatch.GetTimestamp();
            await socket.SendAsync(s_message, WebSocketMessageType.Binary, true, CancellationToken.None);
            await socket.ReceiveAsync(buffer, CancellationToken.None);
            latencies.Add(Stopwatch.GetTimestamp() - sent);
        }

        return latencies;
    }

    private static async Task EchoOneAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
        }
    }
}
