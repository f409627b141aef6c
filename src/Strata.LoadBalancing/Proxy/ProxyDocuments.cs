using System.Net;

namespace Strata.LoadBalancing.Proxy;

/// <summary>A member on the admin API and in the persisted member list.</summary>
internal sealed record MemberDocument
{
    public required string Name { get; init; }

    public required string Address { get; init; }

    public required int Port { get; init; }

    public MemberState State { get; init; } = MemberState.Active;

    /// <summary>Only in answers: requests in flight to the member.</summary>
    public int? InFlight { get; init; }

    public static MemberDocument From(Member member) =>
        new() { Name = member.Name, Address = member.Address, Port = member.Port, State = member.State };

    public MemberStatus ToStatus() =>
        new() { Name = Name, Address = Address, Port = Port, State = State, InFlight = InFlight ?? 0 };

    public static IReadOnlyList<string> ValidateList(IReadOnlyList<MemberDocument>? members)
    {
        if (members is null)
        {
            return ["members is required"];
        }

        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            if (string.IsNullOrWhiteSpace(member.Name))
            {
                errors.Add("every member needs a name");
            }
            else if (!names.Add(member.Name))
            {
                errors.Add($"member '{member.Name}' is listed twice");
            }

            if (!IPAddress.TryParse(member.Address, out _))
            {
                errors.Add($"member '{member.Name}': address '{member.Address}' is not an IP address");
            }

            if (member.Port is < 1 or > 65535)
            {
                errors.Add($"member '{member.Name}': port {member.Port} must be between 1 and 65535");
            }
        }

        return errors;
    }
}

internal sealed record MembersDocument
{
    public required IReadOnlyList<MemberDocument> Members { get; init; }
}

/// <summary>Written by the proxy next to its config so the driver can find (and recognise) it.</summary>
internal sealed record ProxyStateDocument
{
    public required string Id { get; init; }

    public required LoadBalancerInstanceState State { get; init; }

    public int ProcessId { get; init; }

    public long ProcessStartTime { get; init; }

    public string? Url { get; init; }

    public string? AdminUrl { get; init; }

    public DateTimeOffset? CertificateNotAfter { get; init; }

    public string? Message { get; init; }
}

internal sealed record HealthDocument(string Status, string Id, int ProcessId);
