namespace Strata.Api.Contracts;

/// <summary>Asks for a pin to <see cref="Server"/>; <see cref="TtlSeconds"/> defaults to an hour.</summary>
public sealed record PinRequest
{
    public string Server { get; init; } = "";

    public long? TtlSeconds { get; init; }

    /// <summary>Whether the pin may reach the server while it is out of rotation (booting, unhealthy, draining).</summary>
    public bool AnyState { get; init; }

    /// <summary>The load balancer, needed only when several send to the server's tier.</summary>
    public string? LoadBalancer { get; init; }
}

/// <summary>A signed pin: send <see cref="Value"/> in the <see cref="Header"/> header or a cookie of that name.</summary>
public sealed record PinDto(string LoadBalancer, string Server, string Header, string Value, DateTimeOffset ExpiresAt, bool AnyState);
