using Strata.Api.Contracts;
using Strata.ControlPlane.Reconciliation;
using Strata.LoadBalancing.Pinning;

namespace Strata.ControlPlane.Deployments;

/// <summary>A signed pin and what it grants.</summary>
public sealed record IssuedPin(string LoadBalancer, string Server, string Value, DateTimeOffset ExpiresAt, bool AnyState);

/// <summary>
/// Signs QA pins with a load balancer's key: only a caller of the control plane's API can make one, and a pin names
/// one server, one load balancer (its key) and an expiry.
/// </summary>
public static class ServerPins
{
    /// <summary>The default lifetime of a pin.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(1);

    /// <summary>The longest lifetime a pin may be given.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(7);

    /// <param name="loadBalancer">The load balancer's name in the spec; needed only when several send to the server's tier.</param>
    public static IssuedPin Issue(DeploymentRuntime runtime, string server, string? loadBalancer, TimeSpan? ttl, bool anyState, DateTimeOffset now)
    {
        var lifetime = ttl ?? DefaultTtl;
        if (lifetime <= TimeSpan.Zero || lifetime > MaxTtl)
        {
            throw new ArgumentException($"the pin's lifetime must be more than 0 and at most {MaxTtl.TotalDays:0} days");
        }

        var state = runtime.State;
        var tier = state.Tiers.FirstOrDefault(t => t.Servers.Any(s => s.Name == server))
            ?? throw new NotFoundException($"deployment '{runtime.Name}' has no server '{server}'");
        var candidates = state.LoadBalancers.Where(l => l.TargetTier == tier.LogicalName && (loadBalancer is null || l.LogicalName == loadBalancer)).ToList();
        var target = candidates.Count switch
        {
            0 when loadBalancer is not null => throw new NotFoundException($"load balancer '{loadBalancer}' does not send to tier '{tier.LogicalName}' of deployment '{runtime.Name}'"),
            0 => throw new ConflictException($"no load balancer of deployment '{runtime.Name}' sends to tier '{tier.LogicalName}'"),
            1 => candidates[0],
            _ => throw new ConflictException(
                $"load balancers {string.Join(", ", candidates.Select(c => c.LogicalName))} all send to tier '{tier.LogicalName}': name one with --load-balancer"),
        };
        if (target.PinKey is not { } key)
        {
            throw new ConflictException($"load balancer '{target.LogicalName}' has not started yet; try again once it runs");
        }

        var claim = new PinClaim(server, now + lifetime, anyState);
        return new IssuedPin(target.LogicalName, server, ServerPin.Sign(key, claim), DateTimeOffset.FromUnixTimeSeconds(claim.ExpiresAt.ToUnixTimeSeconds()), anyState);
    }
}
