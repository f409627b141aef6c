using Microsoft.Extensions.Logging;

namespace Strata.LoadBalancing.Proxy.Membership;

/// <summary>Applies desired member lists and persists each one, so a restarted proxy comes back with the last.</summary>
internal sealed class MembershipStore(MemberTable table, ProxyFiles files, ILogger<MembershipStore> logger)
{
    private readonly SemaphoreSlim _writes = new(1, 1);

    /// <summary>The persisted list, or the config's initial members when none was persisted yet.</summary>
    public void Restore(ProxyConfig config)
    {
        var persisted = ProxyFiles.TryRead(files.Members, LoadBalancingJsonContext.Default.MembersDocument);
        var members = persisted is not null && MemberDocument.ValidateList(persisted.Members).Count == 0 ? persisted.Members : config.Members;
        var pool = table.Apply(members);
        ProxyLog.MembersSet(logger, pool.Active.Length, pool.Draining.Length, pool.Version);
    }

    public async Task<IReadOnlyList<MemberDocument>> ApplyAsync(IReadOnlyList<MemberDocument> desired, CancellationToken ct)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var stored = desired.Select(m => m with { InFlight = null }).ToList();
            ProxyFiles.WriteAtomically(files.Members, new MembersDocument { Members = stored }, LoadBalancingJsonContext.Default.MembersDocument);
            var pool = table.Apply(stored);
            ProxyLog.MembersSet(logger, pool.Active.Length, pool.Draining.Length, pool.Version);
            return table.Describe();
        }
        finally
        {
            _writes.Release();
        }
    }
}
