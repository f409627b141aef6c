using Strata.Planning.State;

namespace Strata.Planning.Tiers;

/// <summary>What a plan does with one server slot of a tier: keep, launch, replace or remove a server.</summary>
internal sealed record ServerFate(ChangeAction Action, ServerState? Old, string? NewName, string Zone, string? Reason)
{
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
