using System.Net;
using System.Text.RegularExpressions;

namespace Strata.LoadBalancing;

/// <summary>What a load balancer should be: where it listens and how it spreads requests.</summary>
public sealed partial record LoadBalancerDefinition
{
    /// <summary>The physical name, unique per control plane, e.g. <c>hello-front-a1b2c3</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The deployment it belongs to, e.g. <c>hello</c>.</summary>
    public required string Deployment { get; init; }

    /// <summary>A loopback IP address, e.g. <c>127.0.0.1</c>, or on a host the host's own address.</summary>
    public required string ListenHost { get; init; }

    /// <summary>The port clients connect to; 0 lets the system pick one (reported in <see cref="LoadBalancerInstance.Url"/>).</summary>
    public required int ListenPort { get; init; }

    /// <summary>The default is round robin.</summary>
    public BalancingAlgorithm Algorithm { get; init; } = BalancingAlgorithm.RoundRobin;

    /// <summary>How long a leaving member may finish in-flight requests. The default is 10 seconds.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Passive health: a member whose live requests fail this many times in a row (connection refused or reset, a
    /// timeout, or a 502, 503 or 504 answer; never an application's 500 nor a client's broken request body) is taken
    /// out of rotation at once, before any active health check notices. The default is 3.
    /// </summary>
    public int PassiveHealthFailures { get; init; } = 3;

    /// <summary>
    /// Terminates TLS on the listen endpoint with this certificate, so <see cref="LoadBalancerInstance.Url"/> is
    /// <c>https://…</c>. The default, null, serves plain HTTP.
    /// </summary>
    public TlsSettings? Tls { get; init; }

    /// <summary>
    /// Sticky sessions: the first response sets the cookie <c>STRATA_STICKY</c> naming the member that answered, and
    /// later requests carrying it go to that member while it is in rotation; when it is draining or gone the request
    /// is balanced as usual and the cookie names the new member. The default is false.
    /// </summary>
    public bool Sticky { get; init; }

    /// <summary>
    /// The base64 key (32 bytes) that QA pins are signed with; see <see cref="Pinning.ServerPin"/>. The default, null,
    /// turns pinning off: every request carrying a pin is refused with 421.
    /// </summary>
    public string? PinKey { get; init; }

    /// <summary>
    /// Client connections served at once: the built-in proxy closes further ones at once, HAProxy leaves them in the
    /// listen backlog. The default is 4096.
    /// </summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>
    /// How long the built-in proxy waits for a server's response headers once the request was sent; past it the client
    /// gets 504 and the server counts a failure for passive health. The default is 60 seconds.
    /// </summary>
    public TimeSpan ResponseHeaderTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The largest request body accepted; a larger one is refused with 413. The default is 32 MiB.</summary>
    public long MaxRequestBodyBytes { get; init; } = DefaultMaxRequestBodyBytes;

    /// <summary>
    /// How long a WebSocket (or another upgraded connection) may carry nothing in either direction before the load
    /// balancer closes it (HAProxy's <c>timeout tunnel</c>). The built-in proxy also closes a streamed response (a
    /// download, server-sent events) idle that long; HAProxy bounds those by its idle timeout. The default is 1 hour.
    /// </summary>
    public TimeSpan TunnelTimeout { get; init; } = DefaultTunnelTimeout;

    /// <summary>How the load balancer speaks to its members. The default is <see cref="BackendProtocol.Http1"/>.</summary>
    public BackendProtocol BackendProtocol { get; init; } = BackendProtocol.Http1;

    /// <summary>The default of <see cref="TunnelTimeout"/>: 1 hour.</summary>
    public static readonly TimeSpan DefaultTunnelTimeout = TimeSpan.FromHours(1);

    /// <summary>The default of <see cref="MaxConnections"/>.</summary>
    public const int DefaultMaxConnections = 4096;

    /// <summary>The default of <see cref="MaxRequestBodyBytes"/>: 32 MiB.</summary>
    public const long DefaultMaxRequestBodyBytes = 32L * 1024 * 1024;

    /// <summary>Every problem with the definition, empty when it is valid.</summary>
    public IReadOnlyList<string> Validate() => [.. IdentityErrors(), .. LimitErrors(), .. KeyErrors()];

    /// <summary>What the load balancer is, and where it listens.</summary>
    private IEnumerable<string> IdentityErrors()
    {
        if (string.IsNullOrEmpty(Id) || !IdPattern().IsMatch(Id))
        {
            yield return $"load balancer id '{Id}' must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit";
        }

        if (string.IsNullOrWhiteSpace(Deployment))
        {
            yield return $"load balancer '{Id}': deployment is required";
        }

        // A load balancer on a host listens on the host's own address, which the control plane reaches it at.
        if (!IPAddress.TryParse(ListenHost, out var address) || !(IPAddress.IsLoopback(address) || IsOwnAddress(address)))
        {
            yield return $"load balancer '{Id}': listen host '{ListenHost}' must be a loopback IP address such as 127.0.0.1, or an address of this machine";
        }

        if (ListenPort is < 0 or > 65535)
        {
            yield return $"load balancer '{Id}': listen port {ListenPort} must be between 0 and 65535";
        }
    }

    /// <summary>The timeouts and bounds traffic runs under.</summary>
    private IEnumerable<string> LimitErrors()
    {
        if (DrainTimeout < TimeSpan.Zero)
        {
            yield return $"load balancer '{Id}': drain timeout {DrainTimeout} must not be negative";
        }

        if (PassiveHealthFailures is < 1 or > 100)
        {
            yield return $"load balancer '{Id}': passive health failures {PassiveHealthFailures} must be between 1 and 100";
        }

        if (MaxConnections is < 1 or > 1_000_000)
        {
            yield return $"load balancer '{Id}': max connections {MaxConnections} must be between 1 and 1000000";
        }

        if (ResponseHeaderTimeout <= TimeSpan.Zero)
        {
            yield return $"load balancer '{Id}': response header timeout {ResponseHeaderTimeout} must be positive";
        }

        if (TunnelTimeout <= TimeSpan.Zero)
        {
            yield return $"load balancer '{Id}': tunnel timeout {TunnelTimeout} must be positive";
        }

        if (MaxRequestBodyBytes < 1)
        {
            yield return $"load balancer '{Id}': max request body {MaxRequestBodyBytes} bytes must be positive";
        }
    }

    /// <summary>The pin key and the TLS certificate.</summary>
    private IEnumerable<string> KeyErrors()
    {
        if (PinKey is not null && !Pinning.ServerPin.IsValidKey(PinKey))
        {
            yield return $"load balancer '{Id}': the pin key must be {Pinning.ServerPin.KeyBytes} bytes, base64-encoded";
        }

        foreach (var error in Tls?.Validate(Id) ?? [])
        {
            yield return error;
        }
    }

    private static bool IsOwnAddress(IPAddress address) =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Any(a => a.Address.Equals(address));

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex IdPattern();
}
