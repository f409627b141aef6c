namespace Strata.LoadBalancing.HaProxy;

/// <summary>What the driver persists per load balancer: enough to adopt a running haproxy or to start and repopulate a new one.</summary>
internal sealed record HaProxyStateDocument
{
    public required string Id { get; init; }

    /// <summary>The rendered configuration; a running haproxy is adopted only when it was started from the same text.</summary>
    public required string ConfigText { get; init; }

    /// <summary>The port actually bound; chosen once when the definition asks for port 0 and kept across restarts.</summary>
    public required int Port { get; init; }

    public required string Url { get; init; }

    public DateTimeOffset? CertificateNotAfter { get; init; }

    /// <summary>The definition the configuration was rendered from, to render it again with more server slots.</summary>
    public LoadBalancerDefinition? Definition { get; init; }

    /// <summary>How many server slots the configuration declares; grows when members need more.</summary>
    public int Slots { get; init; }

    public int PassiveHealthFailures { get; init; } = 3;

    public TimeSpan DrainTimeout { get; init; }

    public int ProcessId { get; init; }

    public long ProcessStartTime { get; init; }

    public IReadOnlyList<HaProxyMemberDocument> Members { get; init; } = [];

    public string? Message { get; init; }
}

/// <summary>A member as last set: the server slot it holds, and when (UTC) it started to drain.</summary>
internal sealed record HaProxyMemberDocument
{
    public required string Name { get; init; }

    public required string Address { get; init; }

    public required int Port { get; init; }

    public MemberState State { get; init; }

    /// <summary>The server slot (<c>s1</c> … <c>sN</c>) of the <c>members</c> backend the member occupies.</summary>
    public string Slot { get; init; } = "";

    public DateTimeOffset? DrainingSince { get; init; }

    public Member ToMember() => new() { Name = Name, Address = Address, Port = Port, State = State };
}
