using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.LoadBalancing.Proxy;

namespace Strata.LoadBalancing.HaProxy;

/// <summary>
/// The HAProxy driver: one haproxy per load balancer, started detached from a generated configuration, with
/// membership changed only through its Runtime API. Everything it knows lives under
/// <see cref="HaProxyLoadBalancerOptions.RootPath"/>, so a restarted control plane adopts running haproxies and
/// restarts and repopulates dead ones.
/// </summary>
internal sealed class HaProxyLoadBalancerDriver : ILoadBalancerDriver
{
    public const string DriverName = "haproxy";

    private readonly HaProxyLoadBalancerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly HaProxyLauncher _launcher;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    public HaProxyLoadBalancerDriver(IOptions<HaProxyLoadBalancerOptions> options, TimeProvider timeProvider, ILogger<HaProxyLoadBalancerDriver> logger)
    {
        _options = options.Value;
        var errors = _options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid HAProxy load balancer options: {string.Join("; ", errors)}.", nameof(options));
        }

        _timeProvider = timeProvider;
        _logger = logger;
        _launcher = new HaProxyLauncher(_options, timeProvider, logger);
    }

    public string Name => DriverName;

    public async Task<LoadBalancerInstance> EnsureRunningAsync(LoadBalancerDefinition definition, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var errors = definition.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid load balancer definition: {string.Join("; ", errors)}.", nameof(definition));
        }

        return await UnderGateAsync(definition.Id, () => EnsureRunningLockedAsync(definition, ct), ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<MemberStatus>> SetMembersAsync(LoadBalancerInstance instance, IReadOnlyList<Member> members, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(members);
        var documents = members.Select(MemberDocument.From).ToList();
        var errors = MemberDocument.ValidateList(documents);
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid members for load balancer {instance.Id}: {string.Join("; ", errors)}.", nameof(members));
        }

        return await UnderGateAsync(instance.Id, async () =>
        {
            var files = FilesOf(instance.Id);
            var state = RunningState(instance.Id, files);
            if (HaProxyMembership.SlotsNeeded(members, state.Members) > state.Slots)
            {
                state = await _launcher.GrowAsync(state, files, HaProxyMembership.SlotsNeeded(members, state.Members), ct).ConfigureAwait(false);
            }

            var applied = await MembershipOf(files, state).ApplyAsync(members, state.Members, state.Slots, ct).ConfigureAwait(false);
            state = await SweepAsync(state with { Members = applied }, files, ct).ConfigureAwait(false);
            var sessions = HaProxyStats.Sessions(await ApiOf(files).SendAsync("show stat", ct).ConfigureAwait(false));
            return (IReadOnlyList<MemberStatus>)[.. state.Members.Select(m => new MemberStatus
            {
                Name = m.Name, Address = m.Address, Port = m.Port, State = m.State, InFlight = sessions.GetValueOrDefault(m.Slot),
            })];
        }, ct).ConfigureAwait(false);
    }

    public Task<LoadBalancerInstance?> DescribeAsync(string id, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var state = FilesOf(id).ReadState();
        var instance = state switch
        {
            null => null,
            { ProcessId: 0 } => new LoadBalancerInstance { Id = id, State = state.Message is null ? LoadBalancerInstanceState.Stopped : LoadBalancerInstanceState.Failed, Message = state.Message },
            _ when HaProxyProcess.IsRunning(state) => HaProxyLauncher.InstanceOf(state),
            _ => new LoadBalancerInstance
            {
                Id = id,
                State = LoadBalancerInstanceState.Failed,
                Message = $"haproxy process {state.ProcessId} exited unexpectedly; last log line: {ProxyFiles.LastLogLine(FilesOf(id).Log) ?? "(none)"}",
            },
        };
        return Task.FromResult(instance);
    }

    public async Task<LoadBalancerStats?> GetStatsAsync(LoadBalancerInstance instance, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var files = FilesOf(instance.Id);
        return await UnderGateAsync(instance.Id, async () =>
        {
            // Read under the gate: a state read before it may predate members set meanwhile, and the sweep writes
            // the state back; members lost that way stay in haproxy but vanish from every later reading.
            if (files.ReadState() is not { } state || !HaProxyProcess.IsRunning(state))
            {
                return null;
            }

            state = await SweepAsync(state, files, ct).ConfigureAwait(false);
            var csv = await ApiOf(files).SendAsync("show stat", ct).ConfigureAwait(false);
            return (LoadBalancerStats?)HaProxyStats.Parse(instance.Id, csv, _timeProvider.GetUtcNow(), state.Members);
        }, ct).ConfigureAwait(false);
    }

    public async Task StopAsync(string id, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        await UnderGateAsync(id, async () =>
        {
            var files = FilesOf(id);
            if (files.ReadState() is { } state)
            {
                if (!await HaProxyProcess.StopAsync(state, state.DrainTimeout + _options.StopGracePeriod, _timeProvider, ct).ConfigureAwait(false))
                {
                    HaProxyLog.StartFailed(_logger, id, "haproxy did not stop in time and was killed");
                }

                HaProxyLog.Stopped(_logger, id, state.ProcessId);
            }

            // Its folder holds the TLS key and the admin socket, which must not outlive the load balancer.
            LoadBalancerFolder.Remove(files.Folder);
            return true;
        }, ct).ConfigureAwait(false);
    }

    private async Task<LoadBalancerInstance> EnsureRunningLockedAsync(LoadBalancerDefinition definition, CancellationToken ct)
    {
        var files = FilesOf(definition.Id);
        Directory.CreateDirectory(files.Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var existing = files.ReadState();
        var port = definition.ListenPort != 0 ? definition.ListenPort : existing?.Port is > 0 and var kept ? kept : FreePort(definition.ListenHost);
        var certificate = HaProxyLauncher.WriteCertificate(definition.Tls, files);
        var slots = _launcher.SlotsFor(Math.Max(existing?.Slots ?? 0, existing?.Members.Count ?? 0));
        var configText = HaProxyConfig.Render(definition, port, slots, files, _options, certificate?.Thumbprint);
        if (existing is not null && HaProxyProcess.IsRunning(existing))
        {
            if (existing.ConfigText == configText && await ApiOf(files).IsAnsweringAsync(ct).ConfigureAwait(false))
            {
                HaProxyLog.Adopted(_logger, definition.Id, existing.ProcessId, existing.Url);
                return HaProxyLauncher.InstanceOf(existing);
            }

            await HaProxyProcess.StopAsync(existing, existing.DrainTimeout + _options.StopGracePeriod, _timeProvider, ct).ConfigureAwait(false);
        }
        else if (existing is { ProcessId: > 0 })
        {
            HaProxyLog.Restarting(_logger, definition.Id, existing.ProcessId, existing.Members.Count);
        }

        var desired = new HaProxyStateDocument
        {
            Id = definition.Id,
            ConfigText = configText,
            Port = port,
            Url = string.Create(CultureInfo.InvariantCulture, $"{(certificate is null ? "http" : "https")}://{definition.ListenHost}:{port}"),
            CertificateNotAfter = certificate?.NotAfter,
            Definition = definition,
            Slots = slots,
            PassiveHealthFailures = definition.PassiveHealthFailures,
            DrainTimeout = definition.DrainTimeout,
            Members = existing?.Members.Where(m => m.State == MemberState.Active).ToList() ?? [],
        };
        return await _launcher.StartAsync(desired, files, ct).ConfigureAwait(false);
    }

    private async Task<HaProxyStateDocument> SweepAsync(HaProxyStateDocument state, HaProxyFiles files, CancellationToken ct)
    {
        if (state.Members.Any(m => m.State == MemberState.Draining))
        {
            var sessions = HaProxyStats.Sessions(await ApiOf(files).SendAsync("show stat", ct).ConfigureAwait(false));
            state = state with { Members = await MembershipOf(files, state).SweepAsync(state.Members, state.DrainTimeout, sessions, ct).ConfigureAwait(false) };
        }

        files.WriteState(state);
        return state;
    }

    private HaProxyStateDocument RunningState(string id, HaProxyFiles files) =>
        files.ReadState() is { } state && HaProxyProcess.IsRunning(state)
            ? state
            : throw new InvalidOperationException($"Load balancer {id} is not running; last log line: {ProxyFiles.LastLogLine(files.Log) ?? "(none)"}");

    private static int FreePort(string host)
    {
        using var listener = new TcpListener(IPAddress.Parse(host), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private RuntimeApi ApiOf(HaProxyFiles files) => new(files.Socket, _options.RuntimeApiTimeout);

    private HaProxyMembership MembershipOf(HaProxyFiles files, HaProxyStateDocument state) =>
        new(ApiOf(files), files, state.Definition?.Sticky ?? false, _timeProvider);

    private HaProxyFiles FilesOf(string id) => new(Path.Combine(_options.RootPath, id));

    private async Task<T> UnderGateAsync<T>(string id, Func<Task<T>> action, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await action().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}
