using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strata.Api.Contracts.Agent;

/// <summary>What a <see cref="AgentLoadBalancerCall"/> asks of the load-balancer driver on the host.</summary>
public enum AgentLoadBalancerOperation
{
    /// <summary>Start or adopt it; the body is its definition, the answer its instance.</summary>
    Ensure,

    /// <summary>Replace its members; the body is the instance and the members, the answer their statuses.</summary>
    SetMembers,

    /// <summary>The answer is its instance as it runs now, or no body when the driver never ran it.</summary>
    Describe,

    /// <summary>The body is the instance; the answer its counters, or no body when it does not answer.</summary>
    Stats,

    /// <summary>Stop it for good and delete its files; no body either way.</summary>
    Stop,

    /// <summary>Stop every load balancer the host runs but those listed in the body; the answer lists those stopped.</summary>
    KeepOnly,
}

/// <summary>
/// Control plane to agent: one call of a load-balancer driver run on the host (<see cref="Driver"/> is its name, e.g.
/// <c>builtin</c>), answered by <see cref="AgentLoadBalancerReply"/>. The bodies are the drivers' own records as JSON,
/// which this contract carries without knowing them, so that it depends on nothing of Strata's.
/// </summary>
public sealed record AgentLoadBalancerCall : AgentRequest
{
    public required string Driver { get; init; }

    public required AgentLoadBalancerOperation Operation { get; init; }

    /// <summary>The load balancer's physical name.</summary>
    public required string LoadBalancerId { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Body { get; init; }

    /// <summary>For <see cref="AgentLoadBalancerOperation.Ensure"/> with TLS: the PEM certificate, written on the host beside the load balancer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CertificatePem { get; init; }

    /// <summary>The PEM private key of <see cref="CertificatePem"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? KeyPem { get; init; }
}

/// <summary>The answer of an <see cref="AgentLoadBalancerCall"/>; <see cref="Body"/> is absent where the call answers nothing.</summary>
public sealed record AgentLoadBalancerReply : AgentReply
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Body { get; init; }
}
