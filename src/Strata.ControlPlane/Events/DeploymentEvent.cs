namespace Strata.ControlPlane;

public enum EventSeverity { Info, Warning, Error }

/// <summary>Something that happened to a deployment: a server changed state, a load balancer changed members, an error.</summary>
public sealed record DeploymentEvent
{
    /// <summary>Ordered id assigned by the store; 0 before it is stored.</summary>
    public long Id { get; init; }

    public required string Deployment { get; init; }

    public required DateTimeOffset Time { get; init; }

    /// <summary>A dotted kind such as <c>server.state</c>, <c>loadbalancer.members</c>, <c>deployment.converged</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The resource address, e.g. <c>tiers.web.servers[hello-web-k3x9a1]</c>.</summary>
    public string? Resource { get; init; }

    public EventSeverity Severity { get; init; } = EventSeverity.Info;

    public required string Message { get; init; }
}
