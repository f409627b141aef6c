using System.Net;
using System.Net.Sockets;
using System.Text;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// The recovery and rollout tests assert that wrk saw no failure; these show that failures, when there are some,
/// are read from wrk's report, so that a zero there means none happened and not that none were parsed.
/// </summary>
[Trait("kind", "e2e")]
public sealed class ResiliencyLoadGeneratorTests
{
    [Fact]
    public async Task WaitAsync_ServerAnswers404_CountsNonSuccessResponses()
    {
        await using var server = new TinyHttpServer();
        await using var load = LoadGenerator.Start($"{server.Url}missing", TimeSpan.FromSeconds(1), connections: 2, threads: 1);
        var report = await load.WaitAsync();

        Assert.True(report.Requests > 0, report.ToString());
        Assert.Equal(report.Requests, report.NonSuccessResponses);
        Assert.Equal(0, report.SocketErrors);
    }

    [Fact]
    public async Task WaitAsync_ServerClosesWithoutAnswering_CountsReadErrors()
    {
        await using var server = new TinyHttpServer();
        await using var load = LoadGenerator.Start($"{server.Url}close", TimeSpan.FromSeconds(1), connections: 2, threads: 1);
        var report = await load.WaitAsync();

        Assert.True(report.ReadErrors > 0, report.ToString());
        Assert.Equal(report.ReadErrors, report.SocketErrors);
        Assert.True(report.Failed > 0, report.ToString());
    }

    [Fact]
    public async Task StopAsync_LongRun_EndsEarlyWithAFullReport()
    {
        await using var server = new TinyHttpServer();
        await using var load = LoadGenerator.Start(server.Url, TimeSpan.FromSeconds(60), connections: 2, threads: 1);
        await Eventually.WaitAsync(() => server.Answered > 10, "wrk's first requests");
        var started = DateTime.UtcNow;
        var report = await load.StopAsync();

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "SIGINT should end the run long before its 60 s");
        Assert.True(report.Requests > 0 && report.Failed == 0, report.ToString());
    }

    [Fact]
    public async Task WaitAsync_PauseBeforeEachRequest_CapsTheRate()
    {
        await using var server = new TinyHttpServer();
        await using var load = LoadGenerator.Start(server.Url, TimeSpan.FromSeconds(2), connections: 1, threads: 1, pause: TimeSpan.FromMilliseconds(250));
        var report = await load.WaitAsync();

        // One connection, 250 ms before each request, for 2 s: at most 8 requests, where wrk unpaced makes thousands.
        Assert.InRange(report.Requests, 1, 8);
        Assert.True(report.Failed == 0, report.ToString());
    }

    [Fact]
    public void Parse_NotAWrkReport_Throws() =>
        Assert.Throws<FormatException>(() => LoadGenerator.Parse("unable to connect to 127.0.0.1:1 Connection refused"));

    /// <summary>HTTP/1.1 on a loopback port 0: 200 for any path, 404 for <c>/missing</c>, and <c>/close</c> hangs up without an answer.</summary>
    private sealed class TinyHttpServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private int _answered;

        public TinyHttpServer()
        {
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";

        public int Answered => Volatile.Read(ref _answered);

        private async Task AcceptAsync()
        {
            var connections = new List<Task>();
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    connections.Add(ServeAsync(client));
                }
            }
            catch (OperationCanceledException)
            {
                // Disposed: the connections below end with the listener.
            }

            await Task.WhenAll(connections);
        }

        private async Task ServeAsync(TcpClient client)
        {
            using var _ = client;
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                while (await reader.ReadLineAsync(_stop.Token) is { } requestLine)
                {
                    while (!string.IsNullOrEmpty(await reader.ReadLineAsync(_stop.Token)))
                    {
                        // Headers: wrk sends no body with a GET.
                    }

                    var path = requestLine.Split(' ')[1];
                    if (path == "/close")
                    {
                        return;
                    }

                    var status = path == "/missing" ? "404 Not Found" : "200 OK";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Length: 2\r\n\r\nok"), _stop.Token);
                    Interlocked.Increment(ref _answered);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
                // wrk hung up at the end of its run, or the server is being disposed.
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting.WaitAsync(TimeSpan.FromSeconds(10));
            _stop.Dispose();
        }
    }
}
