using System.Globalization;
using System.Text;

namespace Strata.LoadBalancing.HaProxy;

/// <summary>
/// Renders the haproxy configuration of one load balancer. Servers are never in the file: they are added at run time
/// through the Runtime API (<c>add server</c>), so membership changes never need a reload.
/// </summary>
internal static class HaProxyConfig
{
    /// <summary>The backend whose servers are the members.</summary>
    public const string Backend = "members";

    /// <summary>
    /// The backend of pinned requests. HAProxy 2.6 accepts neither <c>cookie</c> on dynamic servers nor a server
    /// name computed at run time in <c>use-server</c>, so a pinned request has its destination set from the pin map
    /// and goes through a transparent server (<c>0.0.0.0:0</c>) that connects wherever the destination points.
    /// </summary>
    public const string PinnedBackend = "pinned";

    /// <summary>The cookie of sticky sessions; its value is the member's name.</summary>
    public const string StickyCookie = "STRATA_STICKY";

    /// <param name="certificateThumbprint">
    /// With TLS, the certificate's thumbprint: written as a comment so that a renewed certificate changes the
    /// configuration text and a running haproxy is restarted rather than adopted with the old one loaded.
    /// </param>
    public static string Render(
        LoadBalancerDefinition definition, int port, HaProxyFiles files, HaProxyLoadBalancerOptions options, string? certificateThumbprint = null)
    {
        var pin = $"var(txn.pin),map({files.PinMap})";
        var text = new StringBuilder();
        if (certificateThumbprint is not null)
        {
            text.Append("# tls certificate sha256 ").Append(certificateThumbprint).Append("\n\n");
        }

        Lines(text, "global",
            $"stats socket {files.Socket} mode 600 level admin expose-fd listeners",
            $"pidfile {files.PidFile}",
            "maxconn 4096");
        Lines(text, "defaults",
            "mode http",
            "option http-keep-alive",
            "option forwardfor",
            "retries 3",
            "option redispatch 1",
            "retry-on conn-failure empty-response response-timeout",
            $"timeout connect {Ms(options.ConnectTimeout)}",
            $"timeout client {Ms(options.IdleTimeout)}",
            $"timeout server {Ms(options.IdleTimeout)}",
            "timeout http-request 10s",
            "timeout queue 5s");
        var bind = $"bind {definition.ListenHost}:{port.ToString(CultureInfo.InvariantCulture)}"
            + (definition.Tls is null ? "" : $" ssl crt {files.Certificate}");
        Lines(text, $"frontend {definition.Id}",
        [
            bind,
            "http-request set-var(txn.pin) req.hdr(X-Strata-Server) if { req.hdr(X-Strata-Server) -m found }",
            "http-request set-var(txn.pin) req.cook(X-Strata-Server) if !{ var(txn.pin) -m found } { req.cook(X-Strata-Server) -m found }",
            "http-request return status 421 content-type text/plain lf-string \"server '%[var(txn.pin)]' named by X-Strata-Server is not in rotation\" "
                + $"if {{ var(txn.pin) -m found }} !{{ {pin} -m found }}",
            .. Sticky(definition, files),
            $"http-request set-dst {pin},field(1,:) if {{ var(txn.pin) -m found }}",
            $"http-request set-dst-port {pin},field(2,:) if {{ var(txn.pin) -m found }}",
            $"use_backend {PinnedBackend} if {{ var(txn.pin) -m found }}",
            "http-request return status 503 content-type text/plain string \"no healthy servers\" if { nbsrv(" + Backend + ") eq 0 }",
            $"default_backend {Backend}",
        ]);
        Lines(text, $"backend {PinnedBackend}", "server pinned 0.0.0.0:0");
        Lines(text, $"backend {Backend}", [.. Balance(definition.Algorithm), .. SetStickyCookie(definition)]);
        return text.ToString();
    }

    /// <summary>
    /// Sticky sessions through the pin map, because 2.6 refuses <c>cookie</c> on dynamic servers: a request whose
    /// cookie names a member in the map (the members in rotation) is routed like a pinned one; any other is balanced.
    /// A draining or removed member leaves the map, so its clients fall back to balancing.
    /// </summary>
    private static IEnumerable<string> Sticky(LoadBalancerDefinition definition, HaProxyFiles files) => definition.Sticky
        ? [$"http-request set-var(txn.pin) req.cook({StickyCookie}) if !{{ var(txn.pin) -m found }} {{ req.cook({StickyCookie}),map({files.PinMap}) -m found }}"]
        : [];

    /// <summary>Only balanced requests pass through the members backend, so only they (re)set the cookie.</summary>
    private static IEnumerable<string> SetStickyCookie(LoadBalancerDefinition definition) => definition.Sticky
        ? [$"http-response add-header Set-Cookie \"{StickyCookie}=%[srv_name]; Path=/; HttpOnly\""]
        : [];

    /// <summary>The arguments of <c>add server</c>: passive health marks a server down after that many failed requests in a row.</summary>
    public static string ServerArguments(Member member, int passiveFailures, HaProxyLoadBalancerOptions options) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Address(member)} check inter {Ms(options.CheckInterval)} fastinter {Ms(options.CheckInterval)} rise 2 fall 3 "
            + $"observe layer7 error-limit {passiveFailures} on-error mark-down");

    public static string Address(Member member) =>
        member.Address.Contains(':', StringComparison.Ordinal) ? $"[{member.Address}]:{member.Port}" : $"{member.Address}:{member.Port}";

    private static IEnumerable<string> Balance(BalancingAlgorithm algorithm) => algorithm switch
    {
        BalancingAlgorithm.RoundRobin => ["balance roundrobin"],
        BalancingAlgorithm.LeastConnections => ["balance leastconn"],
        // Dynamic servers need consistent hashing: map-based hashing is fixed when the configuration is loaded.
        BalancingAlgorithm.SourceHash => ["balance source", "hash-type consistent"],
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown load-balancing algorithm."),
    };

    private static string Ms(TimeSpan value) => string.Create(CultureInfo.InvariantCulture, $"{(long)value.TotalMilliseconds}ms");

    private static void Lines(StringBuilder text, string section, params string[] lines)
    {
        text.Append(section).Append('\n');
        foreach (var line in lines)
        {
            text.Append("    ").Append(line).Append('\n');
        }

        text.Append('\n');
    }
}
