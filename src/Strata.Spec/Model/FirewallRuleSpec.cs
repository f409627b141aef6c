namespace Strata.Spec.Model;

public enum FirewallProtocol { Tcp, Udp }

/// <summary>
/// Traffic allowed from a tier, load balancer or <c>any</c> to a tier or load balancer port,
/// written <c>web -> db:5432</c> or as a map.
/// </summary>
public sealed record FirewallRuleSpec(string From, string To, int Port, FirewallProtocol Protocol, SourceLocation Location)
{
    public const string Any = "any";
}
