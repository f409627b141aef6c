using System.Globalization;

namespace Strata.LoadBalancing.HaProxy;

/// <summary>
/// Moves one haproxy's servers to the desired members through the Runtime API: <c>add server</c> for newcomers,
/// <c>set server … state drain</c> for leavers, and <c>maint</c> + <c>del server</c> once they drained. The pin map
/// follows the members in rotation.
/// </summary>
internal sealed class HaProxyMembership(RuntimeApi api, HaProxyFiles files, HaProxyLoadBalancerOptions options, TimeProvider timeProvider)
{
    private const string Backend = HaProxyConfig.Backend;

    /// <summary>Applies <paramref name="desired"/>; returns the member list to persist (leavers stay, draining, until removed).</summary>
    public async Task<IReadOnlyList<HaProxyMemberDocument>> ApplyAsync(
        IReadOnlyList<Member> desired, IReadOnlyList<HaProxyMemberDocument> previous, int passiveFailures, CancellationToken ct)
    {
        var running = await ServersAsync(ct).ConfigureAwait(false);
        var now = timeProvider.GetUtcNow();
        var result = new List<HaProxyMemberDocument>();
        foreach (var member in desired)
        {
            var endpoint = HaProxyConfig.Address(member);
            if (running.TryGetValue(member.Name, out var current) && current != endpoint)
            {
                await RemoveAsync(member.Name, ct).ConfigureAwait(false);
                running.Remove(member.Name);
            }

            if (!running.ContainsKey(member.Name))
            {
                await AddAsync(member, passiveFailures, ct).ConfigureAwait(false);
            }

            var since = previous.FirstOrDefault(p => p.Name == member.Name && p.State == MemberState.Draining)?.DrainingSince;
            result.Add(await SetStateAsync(member, member.State == MemberState.Active ? null : since ?? now, ct).ConfigureAwait(false));
        }

        foreach (var leaving in running.Keys.Where(name => desired.All(m => m.Name != name)))
        {
            var old = previous.FirstOrDefault(p => p.Name == leaving);
            var member = old?.ToMember() ?? new Member { Name = leaving, Address = "0.0.0.0", Port = 1 };
            result.Add(await SetStateAsync(member with { State = MemberState.Draining }, old?.DrainingSince ?? now, ct).ConfigureAwait(false));
        }

        return result;
    }

    /// <summary>Removes draining members with no session left or whose drain timeout passed; returns the members that remain.</summary>
    public async Task<IReadOnlyList<HaProxyMemberDocument>> SweepAsync(
        IReadOnlyList<HaProxyMemberDocument> members, TimeSpan drainTimeout, IReadOnlyDictionary<string, int> sessions, CancellationToken ct)
    {
        var now = timeProvider.GetUtcNow();
        var remaining = new List<HaProxyMemberDocument>();
        foreach (var member in members)
        {
            var drained = member.State == MemberState.Draining
                && (sessions.GetValueOrDefault(member.Name) == 0 || now - (member.DrainingSince ?? now) >= drainTimeout);
            if (!drained || !await TryRemoveAsync(member.Name, ct).ConfigureAwait(false))
            {
                remaining.Add(member);
            }
        }

        return remaining;
    }

    /// <summary>The servers haproxy has now: name to <c>address:port</c>.</summary>
    public async Task<Dictionary<string, string>> ServersAsync(CancellationToken ct)
    {
        var answer = await api.SendAsync($"show servers state {Backend}", ct).ConfigureAwait(false);
        var servers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in answer.Split('\n'))
        {
            var fields = line.Split(' ');
            if (fields.Length > 18 && !line.StartsWith('#') && fields[1] == Backend)
            {
                servers[fields[3]] = fields[4].Contains(':', StringComparison.Ordinal) ? $"[{fields[4]}]:{fields[18]}" : $"{fields[4]}:{fields[18]}";
            }
        }

        return servers;
    }

    private async Task AddAsync(Member member, int passiveFailures, CancellationToken ct)
    {
        var server = $"{Backend}/{member.Name}";
        await api.ExecuteAsync($"add server {server} {HaProxyConfig.ServerArguments(member, passiveFailures, options)}", ct, "New server registered").ConfigureAwait(false);
        await api.ExecuteAsync($"enable health {server}", ct).ConfigureAwait(false);
    }

    private async Task<HaProxyMemberDocument> SetStateAsync(Member member, DateTimeOffset? drainingSince, CancellationToken ct)
    {
        var server = $"{Backend}/{member.Name}";
        if (member.State == MemberState.Active)
        {
            await api.ExecuteAsync($"set server {server} state ready", ct).ConfigureAwait(false);
            await PinAsync(member, ct).ConfigureAwait(false);
        }
        else
        {
            await UnpinAsync(member.Name, ct).ConfigureAwait(false);
            await api.ExecuteAsync($"set server {server} state drain", ct).ConfigureAwait(false);
        }

        return new HaProxyMemberDocument
        {
            Name = member.Name, Address = member.Address, Port = member.Port, State = member.State, DrainingSince = drainingSince,
        };
    }

    private async Task PinAsync(Member member, CancellationToken ct)
    {
        var value = string.Create(CultureInfo.InvariantCulture, $"{member.Address}:{member.Port}");
        var answer = await api.SendAsync($"set map {files.PinMap} {member.Name} {value}", ct).ConfigureAwait(false);
        if (answer.Length > 0)
        {
            await api.ExecuteAsync($"add map {files.PinMap} {member.Name} {value}", ct).ConfigureAwait(false);
        }
    }

    // "del map" answers with an error when the key is absent, which is the state wanted anyway.
    private Task UnpinAsync(string name, CancellationToken ct) => api.SendAsync($"del map {files.PinMap} {name}", ct);

    private async Task RemoveAsync(string name, CancellationToken ct)
    {
        if (!await TryRemoveAsync(name, ct).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"haproxy could not remove server {name}; see 'show servers state {Backend}'");
        }
    }

    private async Task<bool> TryRemoveAsync(string name, CancellationToken ct)
    {
        var server = $"{Backend}/{name}";
        await UnpinAsync(name, ct).ConfigureAwait(false);
        await api.SendAsync($"set server {server} state maint", ct).ConfigureAwait(false);
        await api.SendAsync($"shutdown sessions server {server}", ct).ConfigureAwait(false);
        var answer = await api.SendAsync($"del server {server}", ct).ConfigureAwait(false);
        return answer.StartsWith("Server deleted", StringComparison.Ordinal) || answer.Contains("No such server", StringComparison.Ordinal);
    }
}
