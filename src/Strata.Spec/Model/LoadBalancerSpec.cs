namespace Strata.Spec.Model;

public enum LoadBalancingAlgorithm { RoundRobin, LeastConnections, SourceHash }

/// <summary>A load balancer in front of one tier.</summary>
public sealed record LoadBalancerSpec
{
    public required string Name { get; init; }

    /// <summary>
    /// The listen address, always loopback for the local provider, e.g. <c>127.0.0.1</c>; empty with
    /// <see cref="Placement"/>, where the load balancer listens on the address of the host it is placed on.
    /// </summary>
    public required string ListenHost { get; init; }

    public required int ListenPort { get; init; }

    public required string TargetTier { get; init; }

    public required int TargetPort { get; init; }

    /// <summary>The default is round robin.</summary>
    public LoadBalancingAlgorithm Algorithm { get; init; } = LoadBalancingAlgorithm.RoundRobin;

    /// <summary>The driver by name: <c>builtin</c> (the default) or <c>haproxy</c>.</summary>
    public string Driver { get; init; } = "builtin";

    /// <summary>Overrides the tier's health check for membership.</summary>
    public HealthCheckSpec? Health { get; init; }

    public TlsSpec? Tls { get; init; }

    public bool Sticky { get; init; }

    /// <summary>How long a leaving server may finish in-flight requests. The default is 10 seconds.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Client connections served at once. The default is 4096.</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>How long the built-in load balancer waits for a server's response headers. The default is 60 seconds.</summary>
    public TimeSpan ResponseHeaderTimeout { get; init; } = DefaultResponseHeaderTimeout;

    /// <summary>The largest request body accepted; larger ones get 413. The default is 32 MiB.</summary>
    public long MaxRequestBodyBytes { get; init; } = DefaultMaxRequestBodyBytes;

    public const int DefaultMaxConnections = 4096;

    public static readonly TimeSpan DefaultResponseHeaderTimeout = TimeSpan.FromSeconds(60);

    public const long DefaultMaxRequestBodyBytes = 32L * 1024 * 1024;

    /// <summary>
    /// Runs the load balancer on a registered host that matches these rules (zones, regions, labels) instead of on the
    /// control plane's machine; null, the default, keeps it there.
    /// </summary>
    public PlacementSpec? Placement { get; init; }

    public SourceLocation Location { get; init; }

    /// <summary><c>127.0.0.1:8080</c>, or with <see cref="Placement"/> <c>host:8080</c> (the address of its host).</summary>
    public string Listen => Placement is null ? $"{ListenHost}:{ListenPort}" : $"host:{ListenPort}";

    /// <summary>
    /// Where clients reach it, fixed by <c>listen</c> and <c>tls</c>: e.g. <c>http://127.0.0.1:8080</c>; null with
    /// <see cref="Placement"/>, known once a host is chosen.
    /// </summary>
    public string? Url => Placement is null ? UrlAt(ListenHost) : null;

    /// <summary>The URL of the load balancer listening on <paramref name="address"/>.</summary>
    public string UrlAt(string address) => UrlAt(address, ListenPort);

    /// <summary>The URL of the load balancer listening on <paramref name="address"/>:<paramref name="port"/>.</summary>
    public string UrlAt(string address, int port) => $"{(Tls is null ? "http" : "https")}://{address}:{port}";
}

public sealed record TlsSpec(string Certificate, string Key, SourceLocation Location);
