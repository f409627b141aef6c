using Strata.Planning.State;

namespace Strata.Planning.Tiers;

/// <summary>What a plan does with one server slot of a tier: keep, launch, replace or remove a server.</summary>
internal sealed record ServerFate(ChangeAction Action, ServerState? Old, string? NewName, string Zone, string? Reason)
{
    /// <summary>The host a new server would be placed on, when hosts are registered (<c>(no capacity)</c> when none is left).</summary>
    public string? Host { get; init; }

    public const string NoCapacity = "(no capacity)";

    /// <summary>A new server: on the next planned host (in its zone) when hosts are registered, else in the balancer's next zone.</summary>
    public static ServerFate Create(PlanContext context, string tier, ZoneBalancer zones, string? reason)
    {
        var name = context.NewName(tier);
        if (context.Options.Hosts is null)
        {
            return new ServerFate(ChangeAction.Create, null, name, zones.Next(), reason);
        }

        // A server no host has room for has no zone until it is placed: the balancer's zones are this machine's.
        var host = context.NextHost(tier);
        return new ServerFate(ChangeAction.Create, null, name, host?.Zone ?? "", reason) { Host = host?.Name ?? NoCapacity };
    }

    /// <summary>The server that holds the slot after apply, or null when the slot goes away.</summary>
    public string? FinalName => Action switch
    {
        ChangeAction.Delete => null,
        ChangeAction.NoOp => Old!.Name,
        _ => NewName,
    };

    public ResourceChange ToChange(string tier)
    {
        var name = Old?.Name ?? NewName!;
        List<AttributeChange> attributes = Action switch
        {
            ChangeAction.Create when Host is not null => [new("host", null, Host), new("zone", null, Zone.Length > 0 ? Zone : AttributeChange.KnownAfterApply), new("address", null, AttributeChange.KnownAfterApply)],
            ChangeAction.Create => [new("zone", null, Zone), new("address", null, AttributeChange.KnownAfterApply)],
            ChangeAction.Replace =>
            [
                new("name", Old!.Name, NewName),
                new("address", Old.Address, AttributeChange.KnownAfterApply),
            ],
            _ => [new("zone", Zone, null), new("address", Old?.Address, null)],
        };
        return new ResourceChange
        {
            Address = Addresses.Server(tier, name),
            Kind = ResourceKind.Server,
            Action = Action,
            Reason = Reason,
            PhysicalName = Action == ChangeAction.Delete ? Old!.Name : NewName,
            Attributes = attributes,
        };
    }
}
