using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Strata.LoadBalancing.Proxy.Forwarding;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// A member whose listen queue is full drops SYNs; once it frees a slot, the built-in proxy must reach it within its
/// connect timeout instead of waiting for the kernel's next, backed-off retransmission.
/// </summary>
/// <remarks>
/// Real sockets and real kernel timers. Linux resends a SYN after 1, 3 and 7 seconds, or (6.7 and later, with
/// <c>tcp_syn_linear_timeouts</c> = 4) after 1, 2, 3, 4, 5 and 7 seconds; the queue is freed 5.3 s in, so that either
/// way the kernel's next SYN comes after the 6.5 s connect timeout, and attempts every 300 ms come before it.
/// </remarks>
[Trait("kind", "e2e")]
public sealed class ConnectAttemptTests
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(6.5);
    private static readonly TimeSpan FreedAfter = TimeSpan.FromSeconds(5.3);
    private static readonly TimeSpan AttemptInterval = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Connect_QueueFreedBetweenTheKernelsSyns_ConnectsWithinTheTimeout()
    {
        using var member = FullListener.Start();
        var connections = new OpenConnections(ConnectTimeout, TimeProvider.System, AttemptInterval);

        var connect = connections.ConnectAsync(member.Endpoint, CancellationToken.None).AsTask();
        await Task.Delay(FreedAfter);
        Assert.False(connect.IsCompleted, "the connect must wait while the member's queue is full");
        member.FreeOneSlot();

        await using var stream = await connect.WithTimeout(ConnectTimeout);
        Assert.Equal(1, connections.To(member.Endpoint.Host, member.Endpoint.Port));
    }

    /// <summary>The same member reached by one attempt only: the kernel's next SYN comes too late.</summary>
    [Fact]
    public async Task Connect_OneAttemptOnly_TimesOutAsAFailedConnect()
    {
        using var member = FullListener.Start();
        var connections = new OpenConnections(ConnectTimeout, TimeProvider.System, attemptInterval: ConnectTimeout);
        var started = Stopwatch.GetTimestamp();

        var connect = connections.ConnectAsync(member.Endpoint, CancellationToken.None).AsTask();
        await Task.Delay(FreedAfter);
        member.FreeOneSlot();

        try
        {
            await using var stream = await connect.WithTimeout(ConnectTimeout * 2);
            // Connected by the kernel's next SYN, 7 s in: only a timeout whose timer ran late (a loaded machine can delay
            // it by more than the half second between the two) lets that happen, and never before the timeout was due.
            Assert.True(Stopwatch.GetElapsedTime(started) >= ConnectTimeout, $"connected after {Stopwatch.GetElapsedTime(started)}, within the timeout");
        }
        catch (SocketException error)
        {
            Assert.Equal(SocketError.TimedOut, error.SocketErrorCode);
        }
    }

    /// <summary>A listener that never accepts, with a backlog of 0: Linux queues one connection and drops later SYNs.</summary>
    private sealed class FullListener : IDisposable
    {
        private readonly Socket _listener;
        private readonly Socket _queued;

        private FullListener(Socket listener, Socket queued)
        {
            _listener = listener;
            _queued = queued;
        }

        public DnsEndPoint Endpoint
        {
            get
            {
                var local = (IPEndPoint)_listener.LocalEndPoint!;
                return new DnsEndPoint(local.Address.ToString(), local.Port);
            }
        }

        public static FullListener Start()
        {
            var at = LoopbackPorts.Reserve();
            var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Parse(at.Address), at.Port));
            listener.Listen(0);
            var queued = new Socket(SocketType.Stream, ProtocolType.Tcp);
            queued.Connect(listener.LocalEndPoint!);
            return new FullListener(listener, queued);
        }

        /// <summary>Accepts the queued connection, so the next SYN that arrives is answered.</summary>
        public void FreeOneSlot() => _listener.Accept().Dispose();

        public void Dispose()
        {
            _queued.Dispose();
            _listener.Dispose();
        }
    }
}
