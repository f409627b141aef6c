namespace Strata.LoadBalancing;

/// <summary>Whether a member takes new requests.</summary>
public enum MemberState
{
    /// <summary>Takes new requests.</summary>
    Active,

    /// <summary>Takes no new requests; in-flight ones finish, then the member is gone.</summary>
    Draining,

    /// <summary>
    /// Not in rotation yet (booting, or not passing its health check): reached only by a pin signed with
    /// <c>--any-state</c>, so QA can try a new server before it joins. Stays until the next member list.
    /// </summary>
    Standby,
}

/// <summary>A server behind a load balancer, as the control plane wants it.</summary>
public sealed record Member
{
    /// <summary>The server name, e.g. <c>web-3</c>; also what a signed QA pin (<see cref="Pinning.ServerPin"/>) names.</summary>
    public required string Name { get; init; }

    /// <summary>An IP address, e.g. <c>127.0.0.12</c>.</summary>
    public required string Address { get; init; }

    public required int Port { get; init; }

    /// <summary>The default is <see cref="MemberState.Active"/>.</summary>
    public MemberState State { get; init; } = MemberState.Active;
}

/// <summary>A member as the load balancer sees it now.</summary>
public sealed record MemberStatus
{
    public required string Name { get; init; }

    public required string Address { get; init; }

    public required int Port { get; init; }

    public required MemberState State { get; init; }

    /// <summary>Requests forwarded to the member that have not completed yet.</summary>
    public required int InFlight { get; init; }
}
