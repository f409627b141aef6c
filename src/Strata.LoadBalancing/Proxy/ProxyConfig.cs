using System.Net;
using System.Text.Json;

namespace Strata.LoadBalancing.Proxy;

/// <summary>What one proxy process serves; written by the driver (mode 0600, it holds the admin token).</summary>
internal sealed record ProxyConfig
{
    public required string Id { get; init; }

    public required string ListenHost { get; init; }

    public required int ListenPort { get; init; }

    /// <summary>The admin endpoint's address; the default is 127.0.0.1.</summary>
    public string AdminHost { get; init; } = "127.0.0.1";

    /// <summary>The default, 0, lets the system pick a port; the proxy reports it in its state file.</summary>
    public int AdminPort { get; init; }

    public required string AdminToken { get; init; }

    public BalancingAlgorithm Algorithm { get; init; } = BalancingAlgorithm.RoundRobin;

    /// <summary>The default is 10 seconds.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for a member to accept a connection. The default is 5 seconds.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Failed live requests in a row that take a member out of rotation. The default is 3.</summary>
    public int PassiveHealthFailures { get; init; } = 3;

    /// <summary>With TLS: the PEM certificate served on the listen endpoint; the default, null, serves plain HTTP.</summary>
    public string? TlsCertificatePath { get; init; }

    /// <summary>With TLS: the PEM private key of <see cref="TlsCertificatePath"/>.</summary>
    public string? TlsKeyPath { get; init; }

    /// <summary>
    /// The certificate's SHA-256 thumbprint when the driver wrote the config, so a certificate renewed in place
    /// restarts the proxy instead of being adopted with the old one still loaded.
    /// </summary>
    public string? TlsThumbprint { get; init; }

    /// <summary>Sticky sessions through the <c>STRATA_STICKY</c> cookie. The default is false.</summary>
    public bool Sticky { get; init; }

    /// <summary>The key QA pins are signed with; see <see cref="LoadBalancerDefinition.PinKey"/>. The default, null, refuses every pin.</summary>
    public string? PinKey { get; init; }

    /// <summary>See <see cref="LoadBalancerDefinition.MaxConnections"/>.</summary>
    public int MaxConnections { get; init; } = LoadBalancerDefinition.DefaultMaxConnections;

    /// <summary>See <see cref="LoadBalancerDefinition.ResponseHeaderTimeout"/>.</summary>
    public TimeSpan ResponseHeaderTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>See <see cref="LoadBalancerDefinition.TunnelTimeout"/>.</summary>
    public TimeSpan TunnelTimeout { get; init; } = LoadBalancerDefinition.DefaultTunnelTimeout;

    /// <summary>See <see cref="LoadBalancerDefinition.BackendProtocol"/>.</summary>
    public BackendProtocol BackendProtocol { get; init; } = BackendProtocol.Http1;

    /// <summary>See <see cref="LoadBalancerDefinition.MaxRequestBodyBytes"/>.</summary>
    public long MaxRequestBodyBytes { get; init; } = LoadBalancerDefinition.DefaultMaxRequestBodyBytes;

    /// <summary>Members to start with when no member list was persisted yet.</summary>
    public IReadOnlyList<MemberDocument> Members { get; init; } = [];

    /// <summary>True when a running proxy with <paramref name="other"/> serves the same endpoint the same way.</summary>
    public bool ServesSameAs(ProxyConfig other) =>
        Id == other.Id && ListenHost == other.ListenHost && ListenPort == other.ListenPort && AdminHost == other.AdminHost
        && AdminToken == other.AdminToken && Algorithm == other.Algorithm && DrainTimeout == other.DrainTimeout
        && ConnectTimeout == other.ConnectTimeout && PassiveHealthFailures == other.PassiveHealthFailures
        && TlsCertificatePath == other.TlsCertificatePath && TlsKeyPath == other.TlsKeyPath && TlsThumbprint == other.TlsThumbprint
        && Sticky == other.Sticky && PinKey == other.PinKey && MaxConnections == other.MaxConnections
        && ResponseHeaderTimeout == other.ResponseHeaderTimeout && TunnelTimeout == other.TunnelTimeout && BackendProtocol == other.BackendProtocol
        && MaxRequestBodyBytes == other.MaxRequestBodyBytes;

    /// <summary>The TLS settings, or null when the proxy serves plain HTTP.</summary>
    public TlsSettings? Tls => TlsCertificatePath is null || TlsKeyPath is null
        ? null
        : new TlsSettings { CertificatePath = TlsCertificatePath, KeyPath = TlsKeyPath };

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        Require(errors, !string.IsNullOrWhiteSpace(Id), "id is required");
        Require(errors, IsLoopback(ListenHost), $"listenHost '{ListenHost}' must be a loopback IP address");
        Require(errors, ListenPort is >= 0 and <= 65535, $"listenPort {ListenPort} must be between 0 and 65535");
        Require(errors, IsLoopback(AdminHost), $"adminHost '{AdminHost}' must be a loopback IP address");
        Require(errors, AdminPort is >= 0 and <= 65535, $"adminPort {AdminPort} must be between 0 and 65535");
        Require(errors, AdminToken is { Length: >= 16 }, "adminToken must be at least 16 characters");
        Require(errors, DrainTimeout >= TimeSpan.Zero, "drainTimeout must not be negative");
        Require(errors, ConnectTimeout > TimeSpan.Zero, "connectTimeout must be positive");
        Require(errors, PassiveHealthFailures is >= 1 and <= 100, "passiveHealthFailures must be between 1 and 100");
        Require(errors, (TlsCertificatePath is null) == (TlsKeyPath is null), "tlsCertificatePath and tlsKeyPath go together");
        Require(errors, PinKey is null || Pinning.ServerPin.IsValidKey(PinKey), $"pinKey must be {Pinning.ServerPin.KeyBytes} bytes, base64-encoded");
        Require(errors, MaxConnections >= 1, "maxConnections must be positive");
        Require(errors, ResponseHeaderTimeout > TimeSpan.Zero, "responseHeaderTimeout must be positive");
        Require(errors, TunnelTimeout > TimeSpan.Zero, "tunnelTimeout must be positive");
        Require(errors, MaxRequestBodyBytes >= 1, "maxRequestBodyBytes must be positive");
        errors.AddRange(Tls?.Validate(Id) ?? []);
        errors.AddRange(MemberDocument.ValidateList(Members));
        return errors;
    }

    public static ProxyConfig Load(string path)
    {
        ProxyConfig? config;
        try
        {
            using var stream = File.OpenRead(path);
            config = JsonSerializer.Deserialize(stream, LoadBalancingJsonContext.Default.ProxyConfig);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }

        if (config is null)
        {
            throw new InvalidDataException($"{path}: the file is empty");
        }

        var errors = config.Validate();
        return errors.Count == 0 ? config : throw new InvalidDataException($"{path}: {string.Join("; ", errors)}");
    }

    private static bool IsLoopback(string host) => IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address);

    private static void Require(List<string> errors, bool condition, string error)
    {
        if (!condition)
        {
            errors.Add(error);
        }
    }
}
