using Strata.Api.Contracts;
using Strata.Common.Text;
using Strata.ControlPlane.Deployments;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Ssh;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// Adds, lists, drains and removes hosts: the inventory says what is registered, the fleet what is connected now.
/// Adding and removing run one at a time, so that two requests for one name never race over its connection.
/// </summary>
internal sealed class HostService(IHostInventory inventory, HostFleet fleet, FleetProvider servers, HostDrains drains, TimeProvider time)
{
    private static readonly string[] s_defaultIdentities = ["id_ed25519", "id_ecdsa", "id_rsa"];
    private readonly SemaphoreSlim _changes = new(1, 1);

    /// <exception cref="HostConnectException">The host could not be reached, trusted, logged in to, or its agent started.</exception>
    public async Task<HostDto> AddAsync(HostAddRequest request, CancellationToken ct)
    {
        var registration = Validate(request);
        await _changes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (await inventory.FindAsync(registration.Name, ct).ConfigureAwait(false) is not null)
            {
                throw new ConflictException(new HostExistsException(registration.Name).Message);
            }

            servers.Admit(registration.Name);
            var status = await fleet.ConnectAsync(registration, request.AcceptNewHostKey, ct).ConfigureAwait(false);
            var record = new HostRecord
            {
                Registration = registration, AddedAt = time.GetUtcNow(), State = status.State, Agent = status.Agent, LastHeartbeat = status.LastHeartbeat,
            };
            await inventory.AddAsync(record, ct).ConfigureAwait(false);
            return HostDtos.From(record, status);
        }
        finally
        {
            _changes.Release();
        }
    }

    public async Task<IReadOnlyList<HostDto>> ListAsync(CancellationToken ct)
    {
        var records = await inventory.ListAsync(ct).ConfigureAwait(false);
        var perHost = servers.UsePerHost();
        var volumes = await VolumesForDrainsAsync(records, ct).ConfigureAwait(false);
        return [.. records.Select(r => Show(r, perHost, volumes))];
    }

    /// <summary>
    /// Keeps the host out of placement (<c>draining</c>, across restarts) and has its servers moved elsewhere, or
    /// (<paramref name="draining"/> false) makes it ready again; returns the host as it stands then.
    /// </summary>
    public async Task<HostDto> SetDrainingAsync(string name, bool draining, CancellationToken ct)
    {
        if (!await inventory.SetDrainingAsync(name, draining, ct).ConfigureAwait(false))
        {
            throw NoSuchHost(name);
        }

        drains.Mark(name, draining);
        var record = await inventory.FindAsync(name, ct).ConfigureAwait(false) ?? throw NoSuchHost(name);
        return Show(record, servers.UsePerHost(), await VolumesForDrainsAsync([record], ct).ConfigureAwait(false));
    }

    /// <summary>
    /// Stops the host's agent, forgets the host and, unless another host shares its address and port, its key. A host
    /// that runs servers or keeps volumes is refused, naming them, unless <paramref name="force"/>: then its servers are
    /// replaced elsewhere, and those of its volumes wait for a host of that name to be added again (their data is there).
    /// </summary>
    /// <exception cref="ConflictException">The host runs servers or keeps volumes and <paramref name="force"/> is false.</exception>
    public async Task RemoveAsync(string name, bool force, CancellationToken ct)
    {
        await drains.WhenLoadedAsync(ct).ConfigureAwait(false);
        await _changes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var record = await inventory.FindAsync(name, ct).ConfigureAwait(false) ?? throw NoSuchHost(name);
            var on = servers.ServersOn(name);
            var kept = (await inventory.ListVolumesAsync(ct).ConfigureAwait(false)).Where(v => v.Host == name).ToList();
            if (kept.Count > 0 && !force)
            {
                throw KeepsVolumes(name, kept);
            }

            if (on.Count > 0 && !force)
            {
                throw RunsServers(name, on);
            }

            var balancers = drains.LoadBalancersOn(name).ToList();
            if (balancers.Count > 0 && !force)
            {
                throw RunsLoadBalancers(name, balancers);
            }

            await UnregisterAsync(record, on, abandoned: on.Count > 0 || balancers.Count > 0, ct).ConfigureAwait(false);
            drains.ReconcileAll();
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Disconnects and forgets the host, and its key unless another host shares its address and port. The servers and
    /// load balancers of a host removed with <c>--force</c> (<paramref name="abandoned"/>) are treated as on a lost host.
    /// </summary>
    private async Task UnregisterAsync(HostRecord record, IReadOnlyList<ServerInstance> on, bool abandoned, CancellationToken ct)
    {
        var name = record.Registration.Name;
        if (abandoned)
        {
            await drains.AbandonAsync(name, on, ct).ConfigureAwait(false);
        }

        await fleet.DisconnectAsync(name).ConfigureAwait(false);
        await inventory.RemoveAsync(name, ct).ConfigureAwait(false);
        if (!abandoned)
        {
            // A forced removal's servers are forgotten one by one as they are terminated.
            servers.Forget(name);
        }

        var endpoint = record.Registration.Login.Target.KnownHostsName;
        var others = await inventory.ListAsync(ct).ConfigureAwait(false);
        if (!others.Any(o => o.Registration.Login.Target.KnownHostsName == endpoint))
        {
            fleet.KnownHosts.Remove(endpoint);
        }
    }

    private ConflictException KeepsVolumes(string name, List<HostVolume> kept)
    {
        // Volumes retained by a deployment since deleted are moved by no drain: only a forced removal lets them go.
        var (listed, advice) = kept.All(drains.IsUnrecorded)
            ? (kept.Select(v => $"{v.VolumeId} (retained by deployment {v.Deployment}, which has no record of it any more)"),
                $"`strata host remove {name} --force` removes the host and forgets {(kept.Count == 1 ? "it" : "them")} (the data stays in the agent's folder there)")
            : (kept.Select(v => $"{v.VolumeId} (deployment {v.Deployment})"),
                $"`strata host drain {name}` moves them to other hosts (with the servers that hold them); "
                + $"`strata host remove {name} --force` removes it now, and their servers wait for a host named {name} to be added again with its data");
        return new ConflictException($"host {name} keeps {Counts.Of(kept.Count, "volume")}: {string.Join(", ", listed)}. {advice}");
    }

    private static ConflictException RunsServers(string name, IReadOnlyList<ServerInstance> on) => new(
        $"host {name} still runs {Counts.Of(on.Count, "server")}: {string.Join(", ", on.Select(s => $"{s.Id} (deployment {s.Deployment}, tier {s.Tier})"))}. "
        + $"`strata host drain {name}` moves them to other hosts first; `strata host remove {name} --force` removes it now, "
        + "stopping them there and replacing them elsewhere as for a lost host");

    private static ConflictException RunsLoadBalancers(string name, List<(string Deployment, LoadBalancerState State)> balancers) => new(
        $"host {name} runs {Counts.Of(balancers.Count, "load balancer")}: {string.Join(", ", balancers.Select(l => $"{l.State.LogicalName} (deployment {l.Deployment})"))}. "
        + $"`strata host drain {name}` moves them to other hosts first; `strata host remove {name} --force` removes it now, "
        + "and they move to another host as from a lost host");

    /// <summary>The volumes recorded on hosts, read only when one of <paramref name="records"/> drains (its progress follows them).</summary>
    private async Task<IReadOnlyList<HostVolume>> VolumesForDrainsAsync(IReadOnlyList<HostRecord> records, CancellationToken ct) =>
        records.Any(drains.Drains) ? await inventory.ListVolumesAsync(ct).ConfigureAwait(false) : [];

    private static NotFoundException NoSuchHost(string name) => new($"no host named '{name}'; `strata hosts` lists them");

    private HostDto Show(HostRecord record, IReadOnlyDictionary<string, FleetProvider.HostUse> perHost, IReadOnlyList<HostVolume> volumes) =>
        WithUse(HostDtos.From(record, fleet.Find(record.Registration.Name) ?? Unconnected(record)), perHost.GetValueOrDefault(record.Registration.Name))
            with { Drain = drains.ProgressOf(record, volumes) };

    private static HostDto WithUse(HostDto host, FleetProvider.HostUse? use) => use is null ? host : host with
    {
        Servers = use.Servers,
        Use = new HostUseDto { Cpu = Math.Round(use.Reserved.Cpu, 3), MemoryBytes = use.Reserved.MemoryBytes },
    };

    // Not connected since this control plane started: the state follows from when the agent was last heard from.
    private HostStatus Unconnected(HostRecord record) => new()
    {
        Name = record.Registration.Name,
        State = HostStateDecision.Decide(record.LastHeartbeat, record.Draining, time.GetUtcNow(), fleet.Options),
        Connected = false,
        Agent = record.Agent,
        LastHeartbeat = record.LastHeartbeat,
    };

    private static HostRegistration Validate(HostAddRequest request)
    {
        var errors = new List<string>();
        if (!HostRegistration.IsValidName(request.Name))
        {
            errors.Add($"'{request.Name}' cannot name a host: use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }

        if (!SshTarget.TryParse(request.Ssh, out var target, out var sshError))
        {
            errors.Add($"--ssh: {sshError}");
        }

        var identity = request.Identity ?? DefaultIdentity();
        if (identity is null)
        {
            errors.Add($"no --identity given and none of ~/.ssh/{string.Join(", ", s_defaultIdentities)} exists: give the private key to log in with as --identity FILE");
        }
        else if (!Path.IsPathFullyQualified(identity))
        {
            errors.Add($"--identity '{identity}' must be an absolute path");
        }

        foreach (var key in (request.Labels ?? new Dictionary<string, string>()).Keys.Where(k => !HostRegistration.IsValidName(k)))
        {
            errors.Add($"--label '{key}': a label's key is 1 to 63 letters, digits, '.', '_' or '-'");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors));
        }

        return new HostRegistration
        {
            Name = request.Name,
            Login = new SshLogin(target!, identity!),
            AgentDir = request.AgentDir ?? HostRegistration.DefaultAgentDir,
            AgentRuntime = request.AgentRuntime ?? HostRegistration.DefaultAgentRuntime,
            Zone = request.Zone,
            Region = request.Region,
            Labels = request.Labels ?? new Dictionary<string, string>(),
        };
    }

    private static string? DefaultIdentity()
    {
        var ssh = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh");
        return s_defaultIdentities.Select(name => Path.Combine(ssh, name)).FirstOrDefault(File.Exists);
    }
}

/// <summary>Hosts as the API shows them.</summary>
internal static class HostDtos
{
    public static HostDto From(HostRecord record, HostStatus status)
    {
        var registration = record.Registration;
        var agent = status.Agent ?? record.Agent;
        return new HostDto
        {
            Name = registration.Name,
            Ssh = registration.Login.Target.ToString(),
            Address = registration.Login.Target.Address,
            Zone = registration.ZoneOrDefault,
            Region = registration.Region,
            Labels = registration.Labels,
            State = HostStates.Name(status.State),
            Connected = status.Connected,
            AgentVersion = agent?.Version,
            AgentBuild = agent?.Build,
            LastHeartbeat = status.LastHeartbeat ?? record.LastHeartbeat,
            Capacity = agent is null ? null : new HostCapacityDto
            {
                Cores = agent.Cores, MemoryBytes = agent.MemoryBytes, DiskBytes = agent.DiskBytes, DiskFreeBytes = status.DiskFreeBytes ?? agent.DiskFreeBytes,
            },
            AddedAt = record.AddedAt,
        };
    }
}
