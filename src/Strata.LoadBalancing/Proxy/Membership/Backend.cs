using System.Net;
using System.Net.Sockets;
using Strata.LoadBalancing.Proxy.Forwarding;

namespace Strata.LoadBalancing.Proxy.Membership;

/// <summary>
/// One member's endpoint and its live counters. The endpoint never changes; a member that moves gets a new backend,
/// so counters stay with the server they describe while snapshots of the membership are swapped around them.
/// </summary>
internal sealed class Backend
{
    /// <summary>
    /// How long a member stays out after failing live requests in a row. It then gets a trial request; another
    /// failure takes it out again at once. The control plane's health check removes a dead member for good.
    /// </summary>
    public static readonly TimeSpan EjectionPeriod = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _timeProvider;
    private readonly int _passiveHealthFailures;
    private int _inFlight;
    private long _requests;
    private long _errors;
    private long _retried;
    private int _consecutiveFailures;
    private long _ejectedUntil;
    private int _closesConnections;
    private readonly CancellationTokenSource _retired = new();

    public Backend(string name, string address, int port, TimeProvider? timeProvider = null, int passiveHealthFailures = 3)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        _passiveHealthFailures = passiveHealthFailures;
        Name = name;
        Address = address;
        Port = port;
        var host = IPAddress.Parse(address) is { AddressFamily: AddressFamily.InterNetworkV6 } ? $"[{address}]" : address;
        Origin = $"http://{host}:{port}";
        StickyCookie = $"{ProxyHeaders.StickyCookie}={Uri.EscapeDataString(name)}; Path=/; HttpOnly";
        SecureStickyCookie = StickyCookie + "; Secure";
    }

    public string Name { get; }

    public string Address { get; }

    public int Port { get; }

    /// <summary>Scheme, host and port, e.g. <c>http://127.0.0.12:8080</c>, to which the request target is appended.</summary>
    public string Origin { get; }

    /// <summary>The <c>Set-Cookie</c> value that makes a client sticky to this member, built once.</summary>
    public string StickyCookie { get; }

    /// <summary><see cref="StickyCookie"/> for clients that came over TLS: the browser never sends it over plain HTTP.</summary>
    public string SecureStickyCookie { get; }

    public int InFlight => Volatile.Read(ref _inFlight);

    public long Requests => Interlocked.Read(ref _requests);

    public long Errors => Interlocked.Read(ref _errors);

    public long Retried => Interlocked.Read(ref _retried);

    public LatencyHistogram Latency { get; } = new();

    /// <summary>True while passive health keeps the member out of rotation.</summary>
    public bool IsEjected => _timeProvider.GetTimestamp() < Volatile.Read(ref _ejectedUntil);

    /// <summary>True once the member answered HTTP/1.0 without keep-alive: it closes each connection after one response.</summary>
    public bool ClosesConnections => Volatile.Read(ref _closesConnections) != 0;

    public void MarkClosesConnections() => Volatile.Write(ref _closesConnections, 1);

    /// <summary>
    /// Cancelled when the member left after its drain timeout with exchanges still open (WebSockets, streams): those
    /// are cut then, as HAProxy's <c>shutdown sessions</c> does, instead of outliving the member's removal.
    /// </summary>
    public CancellationToken Retired => _retired.Token;

    /// <summary>Cuts every exchange still open with this member; see <see cref="Retired"/>.</summary>
    public void Retire() => _retired.Cancel();

    public bool HasEndpoint(string address, int port) => Address == address && Port == port;

    public void Enter() => Interlocked.Increment(ref _inFlight);

    /// <summary>Counts a finished request; returns true when it is the first failure after a success.</summary>
    public bool Exit(long elapsedMicroseconds, bool failed)
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _requests);
        Latency.Record(elapsedMicroseconds);
        if (!failed)
        {
            Volatile.Write(ref _consecutiveFailures, 0);
            return false;
        }

        Interlocked.Increment(ref _errors);
        var failures = Interlocked.Increment(ref _consecutiveFailures);
        if (failures >= _passiveHealthFailures)
        {
            var until = _timeProvider.GetTimestamp() + (long)(EjectionPeriod.TotalSeconds * _timeProvider.TimestampFrequency);
            Volatile.Write(ref _ejectedUntil, until);
        }

        return failures == 1;
    }

    public void CountRetry() => Interlocked.Increment(ref _retried);

    /// <summary>Ends an attempt that failed before an answer and is tried again on this member: not a failure (yet).</summary>
    public void ExitForRetry()
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _retried);
    }
}
