using System.Globalization;
using System.Text;

namespace Strata.LoadBalancing.HaProxy;

/// <summary>
/// Renders the haproxy configuration of one load balancer. Members are never in the file: it declares a pool of
/// server slots (<c>s1</c> … <c>sN</c>, in maintenance) that the driver fills at run time through the Runtime API, so
/// membership changes need no reload while HAProxy keeps reusing idle connections to the members.
/// </summary>
internal static class HaProxyConfig
{
    /// <summary>The backend whose server slots hold the members.</summary>
    public const string Backend = "members";

    /// <summary>The prefix of the slots' server names: <c>s1</c> … <c>sN</c>.</summary>
    public const string SlotPrefix = "s";

    /// <summary>
    /// How many times haproxy tries a request again after its first attempt failed. Passive health in haproxy counts
    /// attempts, not requests, so its error limit is the definition's failed requests times the attempts of each: a
    /// connection refused once and then answered must not count as a failed request.
    /// </summary>
    public const int Retries = 3;

    /// <summary>The cookie of sticky sessions; its value is the member's name.</summary>
    public const string StickyCookie = "STRATA_STICKY";

    /// <param name="slots">How many server slots to declare; see <see cref="HaProxyLoadBalancerOptions.ServerSlots"/>.</param>
    /// <param name="certificateThumbprint">
    /// With TLS, the certificate's thumbprint: written as a comment so that a renewed certificate changes the
    /// configuration text and a running haproxy is restarted rather than adopted with the old one loaded.
    /// </param>
    public static string Render(
        LoadBalancerDefinition definition, int port, int slots, HaProxyFiles files, HaProxyLoadBalancerOptions options, string? certificateThumbprint = null)
    {
        var text = new StringBuilder();
        if (certificateThumbprint is not null)
        {
            text.Append("# tls certificate sha256 ").Append(certificateThumbprint).Append("\n\n");
        }

        // hard-stop-after bounds a soft stop, including that of a process replaced by a reload, which nothing else
        // tracks once its successor runs.
        Lines(text, "global", [
            $"stats socket {files.Socket} mode 600 level admin expose-fd listeners",
            $"hard-stop-after {Ms(definition.DrainTimeout + options.StopGracePeriod)}",
            "maxconn 4096",
            .. options.Threads > 0 ? [$"nbthread {options.Threads}"] : Array.Empty<string>()]);
        Lines(text, "defaults",
            "mode http",
            "option http-keep-alive",
            "option forwardfor",
            $"retries {Retries}",
            "option redispatch 1",
            "retry-on conn-failure empty-response response-timeout",
            $"timeout connect {Ms(options.ConnectTimeout)}",
            $"timeout client {Ms(options.IdleTimeout)}",
            $"timeout server {Ms(options.IdleTimeout)}",
            // A WebSocket, once upgraded, is a tunnel: it may stay quiet far longer than a request may.
            $"timeout tunnel {Ms(definition.TunnelTimeout)}",
            "timeout http-request 10s",
            "timeout queue 5s");
        Lines(text, $"frontend {definition.Id}", [.. Frontend(definition, port, files)]);
        Lines(text, $"backend {Backend}", [.. Balance(definition.Algorithm), .. Slots(definition, slots, files, options)]);
        return text.ToString();
    }

    /// <summary>The name of slot <paramref name="index"/> (1-based), as <c>server-template</c> names it.</summary>
    public static string Slot(int index) => SlotPrefix + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Client-supplied forwarding headers are replaced (<c>option forwardfor</c> then adds the client's address), and a
    /// pin is honoured only when its HMAC checks out under the load balancer's key and it has not expired: see
    /// <see cref="Pinning.ServerPin"/> for the format. A pin resolves a member's name to its slot through the pin map
    /// (members in rotation) or, when signed for any state, the any-pin map; a forged, expired or unknown pin is
    /// refused with 421 and a body that repeats nothing the client sent. A sticky cookie naming a member out of
    /// rotation is ignored (the request is balanced and gets a new cookie).
    /// </summary>
    private static IEnumerable<string> Frontend(LoadBalancerDefinition definition, int port, HaProxyFiles files)
    {
        yield return $"bind {definition.ListenHost}:{port.ToString(CultureInfo.InvariantCulture)}"
            + (definition.Tls is null ? "" : $" ssl crt {files.Certificate} alpn h2,http/1.1");
        yield return $"maxconn {definition.MaxConnections.ToString(CultureInfo.InvariantCulture)}";
        yield return "http-request del-header X-Forwarded-For";
        yield return $"http-request set-header X-Forwarded-Proto {(definition.Tls is null ? "http" : "https")}";
        yield return "http-request set-header X-Forwarded-Host %[req.hdr(host)] if { req.hdr(host) -m found }";
        yield return "http-request del-header X-Forwarded-Host if !{ req.hdr(host) -m found }";
        yield return string.Create(CultureInfo.InvariantCulture,
            $"http-request return status 413 content-type text/plain string \"the request body is too large\" if {{ req.hdr_val(content-length) gt {definition.MaxRequestBodyBytes} }}");
        foreach (var line in PinRules(definition, files))
        {
            yield return line;
        }

        if (definition.Sticky)
        {
            yield return $"http-request set-var(txn.slot) req.cook({StickyCookie}),map({files.PinMap}) "
                + $"if !{{ var(txn.pin) -m found }} {{ req.cook({StickyCookie}),map({files.PinMap}) -m found }}";
        }

        yield return "http-request return status 503 content-type text/plain string \"no healthy servers\" if { nbsrv(" + Backend + ") eq 0 }";
        yield return $"default_backend {Backend}";
    }

    /// <summary>Checks the pin (HAProxy 2.6's <c>hmac</c> and <c>secure_memcmp</c> converters), resolves it, and strips it.</summary>
    private static IEnumerable<string> PinRules(LoadBalancerDefinition definition, HaProxyFiles files)
    {
        const string Pin = Pinning.ServerPin.Header;
        yield return $"http-request set-var(txn.pin) req.hdr({Pin}) if {{ req.hdr({Pin}) -m found }}";
        yield return $"http-request set-var(txn.pin) req.cook({Pin}) if !{{ var(txn.pin) -m found }} {{ req.cook({Pin}) -m found }}";
        if (definition.PinKey is { } key)
        {
            yield return "http-request set-var(txn.now) date";
            yield return $"http-request set-var(txn.pinwant) var(txn.pin),field(1,.,3),hmac(sha256,'{key}'),hex,lower "
                + "if { var(txn.pin) -m reg '^[A-Za-z0-9_-]{1,63}\\.[0-9]{1,12}\\.[ar]\\.[0-9a-f]{64}$' }";
            yield return "http-request set-var(txn.pinok) var(txn.pin),field(4,.),secure_memcmp(txn.pinwant) if { var(txn.pinwant) -m found }";
            yield return "http-request set-var(txn.pinleft) var(txn.pin),field(2,.),sub(txn.now) if { var(txn.pinok) -m bool }";
        }

        yield return $"http-request return status 421 content-type text/plain string \"the {Pin} pin is not valid or has expired\" "
            + "if { var(txn.pin) -m found } !{ var(txn.pinleft) -m int gt 0 }";
        yield return $"http-request set-var(txn.slot) var(txn.pin),field(1,.),map({files.PinMap}) if {{ var(txn.pin) -m found }} {{ var(txn.pin),field(3,.) -m str r }}";
        yield return $"http-request set-var(txn.slot) var(txn.pin),field(1,.),map({files.AnyPinMap}) if {{ var(txn.pin) -m found }} {{ var(txn.pin),field(3,.) -m str a }}";
        yield return $"http-request return status 421 content-type text/plain string \"the server named by the {Pin} pin is not available\" "
            + "if { var(txn.pin) -m found } !{ var(txn.slot) -m found }";
        // The pin is for the load balancer: a server (or whoever reads its logs) must not be able to replay it.
        yield return $"http-request del-header {Pin}";
        yield return $"http-request del-header Cookie if {{ req.fhdr(Cookie) -m reg '^\\s*{Pin}=[^;]*\\s*$' }}";
        yield return $"http-request replace-header Cookie '^\\s*{Pin}=[^;]*;\\s*(.*)$' '\\1'";
        yield return $"http-request replace-header Cookie '^(.*?)\\s*;\\s*{Pin}=[^;]*(.*)$' '\\1\\2'";
    }

    /// <summary>
    /// <c>use-server</c> takes only a literal server name, so each slot gets its own rule. A pinned request reaches its
    /// member even when passive health marked it down (<c>force-persist</c>); a sticky one is balanced then. Passive
    /// health observes layer 4 (connection failures and timeouts): layer 7 would also count an application's 500,
    /// and one bad request must not take a server out of rotation.
    /// </summary>
    private static IEnumerable<string> Slots(LoadBalancerDefinition definition, int slots, HaProxyFiles files, HaProxyLoadBalancerOptions options)
    {
        // retry-on empty-response (and response-timeout) would resend a request the server may have acted on: only
        // idempotent requests get those; any request is still retried when its connection failed.
        yield return "http-request disable-l7-retry unless { method GET HEAD OPTIONS PUT DELETE TRACE }";
        if (definition.BackendProtocol == BackendProtocol.H2c)
        {
            // HAProxy gives an h2 server the request URI's scheme as :scheme, and https when the URI has none; the hop to
            // the member is cleartext, and a server may refuse a scheme its connection does not have (Kestrel resets
            // such a stream, which reaches the client as REFUSED_STREAM). So the URI names http.
            yield return "http-request set-uri http://%[req.hdr(host)]%[pathq] if { req.hdr(host) -m found }";
        }

        yield return "force-persist if { var(txn.pin) -m found }";
        for (var i = 1; i <= slots; i++)
        {
            yield return $"use-server {Slot(i)} if {{ var(txn.slot) -m str {Slot(i)} }}";
        }

        yield return string.Create(CultureInfo.InvariantCulture,
            $"server-template {SlotPrefix} 1-{slots} 0.0.0.0:0 disabled check inter {Ms(options.CheckInterval)} fastinter {Ms(options.CheckInterval)} "
            + $"rise 2 fall {CheckNeverFails} observe layer4 error-limit {definition.PassiveHealthFailures * (Retries + 1)} on-error mark-down"
            + $"{(definition.BackendProtocol == BackendProtocol.H2c ? " proto h2" : "")}");
        if (definition.Sticky)
        {
            // Only a response from another server than the cookie (or pin) asked for (re)sets the cookie, so a pinned
            // request never moves the client's sticky member.
            yield return $"http-response add-header Set-Cookie \"{StickyCookie}=%[srv_name,map({files.SlotMap})]; Path=/; HttpOnly{(definition.Tls is null ? "" : "; Secure")}\" "
                + "unless { srv_name,strcmp(txn.slot) eq 0 }";
        }
    }

    /// <summary>
    /// HAProxy's own TCP check only brings back a member that passive health marked down: the control plane decides
    /// membership. Its <c>fall</c> is set out of reach because a busy server with a small listen backlog drops a SYN
    /// now and then (the retransmission comes a second later, past the check's timeout), and three such checks in a
    /// row took a healthy single server out of rotation and answered 503 to most requests under CPU load.
    /// </summary>
    private const int CheckNeverFails = 1_000_000;

    private static IEnumerable<string> Balance(BalancingAlgorithm algorithm) => algorithm switch
    {
        BalancingAlgorithm.RoundRobin => ["balance roundrobin"],
        BalancingAlgorithm.LeastConnections => ["balance leastconn"],
        // Consistent hashing moves only the clients of a slot that joins or leaves, not everyone's.
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
