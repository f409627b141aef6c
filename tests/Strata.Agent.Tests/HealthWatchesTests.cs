using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Strata.Api.Contracts.Agent;
using Strata.Testing;

namespace Strata.Agent.Tests;

/// <summary>
/// The agent's health checks against a real HTTP server on loopback, on a test clock: the results that can change a
/// verdict are sent, results that stay alike are not, and a watch replaced or stopped sends nothing more.
/// </summary>
[Trait("kind", "unit")]
public sealed class HealthWatchesTests : IDisposable
{
    private readonly ManualTimeProvider _clock = new();
    private readonly ConcurrentQueue<AgentHealth> _sent = new();
    private readonly AnsweringServer _server = new();
    private readonly HealthWatches _watches;

    public HealthWatchesTests() => _watches = new HealthWatches(_sent.Enqueue, _clock);

    public void Dispose()
    {
        _watches.Dispose();
        _server.Dispose();
    }

    [Fact]
    public async Task Start_ServerAnswersThenFailsThenRecovers_SendsEachRunUpToTheThresholdOnly()
    {
        _watches.Start(Request(id: 7, healthyAfter: 2, unhealthyAfter: 2));
        await ProbedAsync(1);
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        await ProbedAsync(2);

        // Booted: from now on every second, at the server's own offset within it.
        for (var probes = 3; probes <= 5; probes++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await ProbedAsync(probes);
        }

        _server.Status = 500;
        for (var probes = 6; probes <= 8; probes++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await ProbedAsync(probes);
        }

        _server.Status = 200;
        _clock.Advance(TimeSpan.FromSeconds(1));
        await ProbedAsync(9);

        Assert.Equal(
            ["pass", "pass", "GET /healthz answered 500", "GET /healthz answered 500", "pass"],
            _sent.Select(r => r.Passed ? "pass" : r.Detail));
        Assert.All(_sent, r => Assert.Equal(("web-1", 7L), (r.ServerId, r.Watch)));
    }

    [Fact]
    public async Task Start_NothingListens_SendsTheRefusalOnce()
    {
        _server.Dispose();
        _watches.Start(Request(id: 1, healthyAfter: 1, unhealthyAfter: 1));
        await Eventually.WaitAsync(() => _sent.Count == 1 && _clock.PendingTimers == 1, "the first failure");
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        await Eventually.WaitAsync(() => _clock.PendingTimers == 1, "the second probe");

        var failure = Assert.Single(_sent);
        Assert.False(failure.Passed);
        Assert.Contains("refused", failure.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Stop_WatchedServer_NoMoreProbes()
    {
        _watches.Start(Request(id: 1, healthyAfter: 1, unhealthyAfter: 1));
        await ProbedAsync(1);

        _watches.Stop("web-1");
        _clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(0, _watches.Count);
        Assert.Equal(0, _clock.PendingTimers);
        Assert.Equal(1, _server.Requests);
    }

    [Fact]
    public async Task Start_AgainForTheSameServer_ReplacesTheWatchAndSendsUnderTheNewId()
    {
        _watches.Start(Request(id: 1, healthyAfter: 1, unhealthyAfter: 1));
        await ProbedAsync(1);

        _watches.Start(Request(id: 2, healthyAfter: 1, unhealthyAfter: 1));
        await ProbedAsync(2);

        Assert.Equal([1L, 2L], _sent.Select(r => r.Watch));
        Assert.Equal(1, _watches.Count);
        Assert.Equal(1, _clock.PendingTimers);
    }

    /// <summary>Until the server answered that many probes and the watch went back to waiting on the clock.</summary>
    private Task ProbedAsync(int count) =>
        Eventually.WaitAsync(() => _server.Requests == count && _clock.PendingTimers == 1, $"probe {count} and the wait for the next");

    private AgentWatchHealth Request(long id, int healthyAfter, int unhealthyAfter) => new()
    {
        Id = id, ServerId = "web-1", Kind = AgentProbeKind.Http, Address = "127.0.0.1", Port = _server.Port, Path = "/healthz", IntervalMs = 1000,
        BootIntervalMs = 100, TimeoutMs = 2000, HealthyAfter = healthyAfter, UnhealthyAfter = unhealthyAfter, SpreadStepMs = 10,
    };

    /// <summary>A loopback HTTP server that answers every request with <see cref="Status"/> and closes.</summary>
    private sealed class AnsweringServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private int _requests;

        public AnsweringServer()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = AnswerAsync();
        }

        public int Port { get; }

        public int Status { get; set; } = 200;

        public int Requests => Volatile.Read(ref _requests);

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }

        private async Task AnswerAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    var stream = client.GetStream();
                    var buffer = new byte[4096];
                    var read = 0;
                    while (!Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        read += await stream.ReadAsync(buffer.AsMemory(read), _stop.Token);
                    }

                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {Status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), _stop.Token);
                    Interlocked.Increment(ref _requests);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
            {
            }
        }
    }
}
