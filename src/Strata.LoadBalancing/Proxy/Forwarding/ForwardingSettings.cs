namespace Strata.LoadBalancing.Proxy.Forwarding;

/// <summary>The parts of a proxy's configuration that the hot path reads, fixed for the process's life.</summary>
internal sealed record ForwardingSettings
{
    public bool Sticky { get; init; }

    /// <summary>The key pins are checked with; null refuses every pin.</summary>
    public string? PinKey { get; init; }

    /// <summary>See <see cref="LoadBalancerDefinition.ResponseHeaderTimeout"/>.</summary>
    public TimeSpan ResponseHeaderTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>See <see cref="LoadBalancerDefinition.TunnelTimeout"/>.</summary>
    public TimeSpan IdleTimeout { get; init; } = LoadBalancerDefinition.DefaultTunnelTimeout;

    /// <summary>See <see cref="LoadBalancerDefinition.BackendProtocol"/>.</summary>
    public BackendProtocol BackendProtocol { get; init; } = BackendProtocol.Http1;

    /// <summary>See <see cref="LoadBalancerDefinition.MaxRequestBodyBytes"/>.</summary>
    public long MaxRequestBodyBytes { get; init; } = LoadBalancerDefinition.DefaultMaxRequestBodyBytes;

    public static ForwardingSettings Of(ProxyConfig config) => new()
    {
        Sticky = config.Sticky,
        PinKey = config.PinKey,
        ResponseHeaderTimeout = config.ResponseHeaderTimeout,
        IdleTimeout = config.TunnelTimeout,
        BackendProtocol = config.BackendProtocol,
        MaxRequestBodyBytes = config.MaxRequestBodyBytes,
    };
}
