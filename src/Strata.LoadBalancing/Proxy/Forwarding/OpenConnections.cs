using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Strata.LoadBalancing.Proxy.Forwarding;

/// <summary>
/// Counts the connections open now: from clients (a Kestrel connection middleware) and to each member (the
/// handler's connect callback hands out sockets whose stream counts itself down when the pool closes it).
/// </summary>
/// <param name="connectTimeout">How long a member may take to accept a connection.</param>
/// <param name="attemptInterval">
/// How long one connection attempt waits before a fresh one replaces it; defaults to <see cref="DefaultAttemptInterval"/>.
/// </param>
internal sealed class OpenConnections(TimeSpan connectTimeout, TimeProvider timeProvider, TimeSpan? attemptInterval = null)
{
    /// <summary>One second: Linux's initial SYN retransmission timeout, after which the kernel would wait 2 s more.</summary>
    public static readonly TimeSpan DefaultAttemptInterval = TimeSpan.FromSeconds(1);

    private readonly TimeSpan _attemptInterval = attemptInterval ?? DefaultAttemptInterval;
    private readonly ConcurrentDictionary<(string Address, int Port), Gauge> _upstream = new();
    private int _clients;

    public int Clients => Volatile.Read(ref _clients);

    /// <summary>Connections open to the member at that endpoint.</summary>
    public int To(string address, int port) => _upstream.TryGetValue((Normalize(address), port), out var gauge) ? gauge.Value : 0;

    /// <summary>Wraps every client connection of a Kestrel listener.</summary>
    public Func<ConnectionDelegate, ConnectionDelegate> ClientMiddleware => next => async connection =>
    {
        Interlocked.Increment(ref _clients);
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _clients);
        }
    };

    /// <summary>The connect callback of the handler that reaches members.</summary>
    /// <remarks>
    /// A member whose listen queue is full drops the SYN, and the kernel sends the next one only after 1, 3 and 7
    /// seconds, so a request can wait past the whole connect timeout for a member that has been free again for
    /// seconds. A fresh attempt every attempt interval keeps asking at the kernel's first retransmission
    /// interval instead, as HAProxy does with its connect timeout and retries, within the same overall timeout.
    /// </remarks>
    public ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct) =>
        ConnectAsync(context.DnsEndPoint, ct);

    /// <summary>Connects to a member within the connect timeout, a fresh attempt every attempt interval.</summary>
    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(connectTimeout, timeProvider);
        using var connecting = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        while (true)
        {
            try
            {
                var socket = await ConnectOnceAsync(endpoint, connecting.Token).ConfigureAwait(false);
                if (socket is null)
                {
                    continue;
                }

                var gauge = _upstream.GetOrAdd((Normalize(endpoint.Host), endpoint.Port), _ => new Gauge());
                gauge.Increment();
                return new CountedStream(socket, gauge);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                // A member that does not accept in time has answered nothing, like one that refuses: fail as a socket
                // error, which the handler reports as an HttpRequestException that the forwarder retries on another
                // member. The handler's own ConnectTimeout would surface as a cancellation, which reads as a failure
                // after sending and is not retried.
                throw new SocketException((int)SocketError.TimedOut);
            }
        }
    }

    /// <summary>One connection attempt: the connected socket, or null when the attempt's interval passed first.</summary>
    private async Task<Socket?> ConnectOnceAsync(DnsEndPoint endpoint, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var attempt = new CancellationTokenSource(_attemptInterval, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, attempt.Token);
        try
        {
            await socket.ConnectAsync(endpoint, linked.Token).ConfigureAwait(false);
            return socket;
        }
        catch (OperationCanceledException) when (attempt.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            socket.Dispose();
            return null;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // The handler passes an IPv6 host in brackets; members are listed without them.
    private static string Normalize(string host) => IPAddress.TryParse(host.Trim('[', ']'), out var ip) ? ip.ToString() : host;

    private sealed class Gauge
    {
        private int _value;

        public int Value => Volatile.Read(ref _value);

        public void Increment() => Interlocked.Increment(ref _value);

        public void Decrement() => Interlocked.Decrement(ref _value);
    }

    /// <summary>A socket stream that counts its connection down exactly once, however often it is disposed.</summary>
    private sealed class CountedStream(Socket socket, Gauge gauge) : NetworkStream(socket, ownsSocket: true)
    {
        private int _closed;

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                gauge.Decrement();
            }

            base.Dispose(disposing);
        }
    }
}
