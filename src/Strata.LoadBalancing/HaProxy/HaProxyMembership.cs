using System.Globalization;
using System.Net;

namespace Strata.LoadBalancing.HaProxy;

/// <summary>
/// Moves one haproxy's server slots to the desired members through the Runtime API: a newcomer takes a free slot
/// (<c>set server … addr</c>, <c>health up</c>, <c>state ready</c>), a leaver's slot drains (<c>state drain</c>) and
/// goes back to maintenance once drained, which also closes its idle connections so the next member of that slot
/// never inherits them. The pin map (and, with sticky sessions, the slot map) follows the members in rotation.
/// </summary>
/// <param name="sticky">Whether the configuration has sticky sessions; haproxy knows the slot map only then.</param>
internal sealed class HaProxyMembership(RuntimeApi api, HaProxyFiles files, bool sticky, TimeProvider timeProvider)
{
    private const string Backend = HaProxyConfig.Backend;

    /// <summary>A slot as haproxy has it now.</summary>
    private readonly record struct SlotState(string Endpoint, bool InMaintenance);

    /// <summary>The slots <paramref name="desired"/> needs, with the leavers of <paramref name="previous"/> still holding theirs.</summary>
    public static int SlotsNeeded(IReadOnlyList<Member> desired, IReadOnlyList<HaProxyMemberDocument> previous) =>
        desired.Count + previous.Count(p => desired.All(m => m.Name != p.Name));

    /// <summary>Applies <paramref name="desired"/>; returns the member list to persist (leavers stay, draining, until removed).</summary>
    /// <param name="slots">The slots the running configuration declares, at least <see cref="SlotsNeeded"/>.</param>
    public async Task<IReadOnlyList<HaProxyMemberDocument>> ApplyAsync(
        IReadOnlyList<Member> desired, IReadOnlyList<HaProxyMemberDocument> previous, int slots, CancellationToken ct)
    {
        var running = await SlotsAsync(ct).ConfigureAwait(false);
        var now = timeProvider.GetUtcNow();
        var leavers = previous.Where(p => p.Slot.Length > 0 && desired.All(m => m.Name != p.Name)).ToList();
        var assigned = AssignSlots(desired, previous, leavers, slots);
        var result = new List<HaProxyMemberDocument>();
        foreach (var member in desired)
        {
            var slot = assigned[member.Name];
            if (!running.TryGetValue(slot, out var current) || current.Endpoint != Endpoint(member.Address, member.Port))
            {
                await FillAsync(slot, member, ct).ConfigureAwait(false);
            }

            var since = previous.FirstOrDefault(p => p.Name == member.Name && p.State == MemberState.Draining)?.DrainingSince;
            result.Add(await SetStateAsync(member, slot, member.State == MemberState.Active ? null : since ?? now, ct).ConfigureAwait(false));
        }

        foreach (var leaver in leavers)
        {
            result.Add(await SetStateAsync(leaver.ToMember() with { State = MemberState.Draining }, leaver.Slot, leaver.DrainingSince ?? now, ct).ConfigureAwait(false));
        }

        // A slot in use that no member holds (a change interrupted before it was persisted) must not take traffic.
        foreach (var (slot, state) in running)
        {
            if (!state.InMaintenance && result.All(m => m.Slot != slot))
            {
                await FreeAsync(slot, name: null, ct).ConfigureAwait(false);
            }
        }

        return result;
    }

    /// <summary>Frees the slots of draining members with no session left or whose drain timeout passed; returns the members that remain.</summary>
    /// <param name="sessions">Current sessions per slot, from <see cref="HaProxyStats.Sessions"/>.</param>
    public async Task<IReadOnlyList<HaProxyMemberDocument>> SweepAsync(
        IReadOnlyList<HaProxyMemberDocument> members, TimeSpan drainTimeout, IReadOnlyDictionary<string, int> sessions, CancellationToken ct)
    {
        var now = timeProvider.GetUtcNow();
        var remaining = new List<HaProxyMemberDocument>();
        foreach (var member in members)
        {
            var drained = member.State == MemberState.Draining
                && (sessions.GetValueOrDefault(member.Slot) == 0 || now - (member.DrainingSince ?? now) >= drainTimeout);
            if (drained)
            {
                await FreeAsync(member.Slot, member.Name, ct).ConfigureAwait(false);
            }
            else
            {
                remaining.Add(member);
            }
        }

        return remaining;
    }

    /// <summary>
    /// Members keep their slot (a moved member refills it); leavers keep theirs until they drained; newcomers take the
    /// lowest free one.
    /// </summary>
    private static Dictionary<string, string> AssignSlots(
        IReadOnlyList<Member> desired, IReadOnlyList<HaProxyMemberDocument> previous, List<HaProxyMemberDocument> leavers, int slots)
    {
        var assigned = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in desired)
        {
            if (previous.FirstOrDefault(p => p.Name == member.Name && p.Slot.Length > 0) is { } held)
            {
                assigned[member.Name] = held.Slot;
            }
        }

        var taken = new HashSet<string>(assigned.Values.Concat(leavers.Select(l => l.Slot)), StringComparer.Ordinal);
        var next = 1;
        foreach (var member in desired.Where(m => !assigned.ContainsKey(m.Name)))
        {
            while (next <= slots && taken.Contains(HaProxyConfig.Slot(next)))
            {
                next++;
            }

            if (next > slots)
            {
                throw new InvalidOperationException($"all {slots} server slots are taken; the configuration must be regenerated with more");
            }

            assigned[member.Name] = HaProxyConfig.Slot(next++);
        }

        return assigned;
    }

    /// <summary>The slots haproxy has now, by name.</summary>
    private async Task<Dictionary<string, SlotState>> SlotsAsync(CancellationToken ct)
    {
        var answer = await api.SendAsync($"show servers state {Backend}", ct).ConfigureAwait(false);
        var slots = new Dictionary<string, SlotState>(StringComparer.Ordinal);
        foreach (var line in answer.Split('\n'))
        {
            var fields = line.Split(' ');
            if (fields.Length > 18 && !line.StartsWith('#') && fields[1] == Backend)
            {
                // srv_admin_state bit 0x01: forced into maintenance (the configuration's "disabled", or "state maint").
                var admin = int.Parse(fields[6], CultureInfo.InvariantCulture);
                slots[fields[3]] = new SlotState(Endpoint(fields[4], int.Parse(fields[18], CultureInfo.InvariantCulture)), (admin & 1) != 0);
            }
        }

        return slots;
    }

    /// <summary>Points a slot at the member, from maintenance so that no connection to a previous address survives.</summary>
    private async Task FillAsync(string slot, Member member, CancellationToken ct)
    {
        var server = $"{Backend}/{slot}";
        await api.ExecuteAsync($"set server {server} state maint", ct).ConfigureAwait(false);
        await api.SendAsync($"shutdown sessions server {server}", ct).ConfigureAwait(false);
        var port = member.Port.ToString(CultureInfo.InvariantCulture);
        await api.ExecuteAsync($"set server {server} addr {member.Address} port {port}", ct, "IP changed", "no need to change", "port changed").ConfigureAwait(false);
        // The control plane vouches for the member, so HAProxy's own check must not hold it down. Leaving maintenance
        // resets the check's health to `rise` and checks at once: a booting standby refuses that check, which marked it
        // down until two checks passed, long after it joined. So the slot leaves maintenance first (into drain, which
        // takes no balanced requests; SetStateAsync sets the member's state) and only then is marked up.
        await api.ExecuteAsync($"set server {server} state drain", ct).ConfigureAwait(false);
        await api.ExecuteAsync($"set server {server} health up", ct).ConfigureAwait(false);
    }

    private async Task<HaProxyMemberDocument> SetStateAsync(Member member, string slot, DateTimeOffset? drainingSince, CancellationToken ct)
    {
        var server = $"{Backend}/{slot}";
        if (member.State == MemberState.Active)
        {
            await api.ExecuteAsync($"set server {server} state ready", ct).ConfigureAwait(false);
            if (sticky)
            {
                await SetMapAsync(files.SlotMap, slot, member.Name, ct).ConfigureAwait(false);
            }

            await SetMapAsync(files.PinMap, member.Name, slot, ct).ConfigureAwait(false);
        }
        else
        {
            // Draining and standby members take no balanced requests (weight 0), but a pin signed for any state still
            // reaches them through use-server.
            await DeleteMapAsync(files.PinMap, member.Name, ct).ConfigureAwait(false);
            await api.ExecuteAsync($"set server {server} state drain", ct).ConfigureAwait(false);
        }

        await SetMapAsync(files.AnyPinMap, member.Name, slot, ct).ConfigureAwait(false);

        return new HaProxyMemberDocument
        {
            Name = member.Name, Address = member.Address, Port = member.Port, State = member.State, Slot = slot, DrainingSince = drainingSince,
        };
    }

    private async Task FreeAsync(string slot, string? name, CancellationToken ct)
    {
        var server = $"{Backend}/{slot}";
        if (name is not null)
        {
            await DeleteMapAsync(files.PinMap, name, ct).ConfigureAwait(false);
            await DeleteMapAsync(files.AnyPinMap, name, ct).ConfigureAwait(false);
        }

        await api.ExecuteAsync($"set server {server} state maint", ct).ConfigureAwait(false);
        await api.SendAsync($"shutdown sessions server {server}", ct).ConfigureAwait(false);
        if (sticky)
        {
            await DeleteMapAsync(files.SlotMap, slot, ct).ConfigureAwait(false);
        }
    }

    private async Task SetMapAsync(string map, string key, string value, CancellationToken ct)
    {
        var answer = await api.SendAsync($"set map {map} {key} {value}", ct).ConfigureAwait(false);
        if (answer.Length > 0)
        {
            await api.ExecuteAsync($"add map {map} {key} {value}", ct).ConfigureAwait(false);
        }
    }

    // "del map" answers with an error when the key is absent, which is the state wanted anyway.
    private Task DeleteMapAsync(string map, string key, CancellationToken ct) => api.SendAsync($"del map {map} {key}", ct);

    /// <summary>Address and port as one comparable text; addresses are normalised because haproxy prints its own form.</summary>
    private static string Endpoint(string address, int port) =>
        string.Create(CultureInfo.InvariantCulture, $"{(IPAddress.TryParse(address, out var ip) ? ip.ToString() : address)} {port}");
}
