using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Common.Files;
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
                state = await GrowAsync(state, files, HaProxyMembership.SlotsNeeded(members, state.Members), ct).ConfigureAwait(false);
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
        var state = ReadState(FilesOf(id));
        var instance = state switch
        {
            null => null,
            { ProcessId: 0 } => new LoadBalancerInstance { Id = id, State = state.Message is null ? LoadBalancerInstanceState.Stopped : LoadBalancerInstanceState.Failed, Message = state.Message },
            _ when HaProxyProcess.IsRunning(state) => InstanceOf(state),
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
        if (ReadState(files) is not { } state || !HaProxyProcess.IsRunning(state))
        {
            return null;
        }

        return await UnderGateAsync(instance.Id, async () =>
        {
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
            if (ReadState(files) is { } state)
            {
                if (!await HaProxyProcess.StopAsync(state, state.DrainTimeout + _options.StopGracePeriod, _timeProvider, ct).ConfigureAwait(false))
                {
                    HaProxyLog.StartFailed(_logger, id, "haproxy did not stop in time and was killed");
                }

                HaProxyLog.Stopped(_logger, id, state.ProcessId);
                File.Delete(files.State);
            }

            return true;
        }, ct).ConfigureAwait(false);
    }

    private async Task<LoadBalancerInstance> EnsureRunningLockedAsync(LoadBalancerDefinition definition, CancellationToken ct)
    {
        var files = FilesOf(definition.Id);
        Directory.CreateDirectory(files.Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var existing = ReadState(files);
        var port = definition.ListenPort != 0 ? definition.ListenPort : existing?.Port is > 0 and var kept ? kept : FreePort(definition.ListenHost);
        var certificate = WriteCertificate(definition.Tls, files);
        var slots = SlotsFor(Math.Max(existing?.Slots ?? 0, existing?.Members.Count ?? 0));
        var configText = HaProxyConfig.Render(definition, port, slots, files, _options, certificate?.Thumbprint);
        if (existing is not null && HaProxyProcess.IsRunning(existing))
        {
            if (existing.ConfigText == configText && await ApiOf(files).IsAnsweringAsync(ct).ConfigureAwait(false))
            {
                HaProxyLog.Adopted(_logger, definition.Id, existing.ProcessId, existing.Url);
                return InstanceOf(existing);
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
        return await StartAsync(desired, files, ct).ConfigureAwait(false);
    }

    private async Task<LoadBalancerInstance> StartAsync(HaProxyStateDocument desired, HaProxyFiles files, CancellationToken ct)
    {
        if (HaProxyProcess.Resolve(_options.HaProxyPath) is not { } haproxy)
        {
            return Fail(desired, files, $"haproxy was not found ('{_options.HaProxyPath}' is not on PATH); install it with: apt-get install haproxy");
        }

        File.Delete(files.Socket);
        if (await LaunchAsync(haproxy, desired, files, replacing: null, ct).ConfigureAwait(false) is { } error)
        {
            return Fail(desired, files, error);
        }

        var pid = HaProxyProcess.ReadPid(files);
        var started = desired with { ProcessId = pid, ProcessStartTime = HaProxyProcess.StartTimeOf(pid, desired.Id), Members = [] };
        if (!await WaitForApiAsync(files, ct).ConfigureAwait(false))
        {
            await HaProxyProcess.StopAsync(started, TimeSpan.Zero, _timeProvider, ct).ConfigureAwait(false);
            return Fail(desired, files, $"haproxy did not answer on {files.Socket} within {_options.StartTimeout.TotalSeconds:0.#} s; see {files.Log}");
        }

        var members = await MembershipOf(files, desired).ApplyAsync([.. desired.Members.Select(m => m.ToMember())], [], desired.Slots, ct).ConfigureAwait(false);
        started = started with { Members = members };
        WriteState(files, started);
        HaProxyLog.Started(_logger, desired.Id, pid, started.Url, members.Count);
        return InstanceOf(started);
    }

    /// <summary>
    /// Runs haproxy from the desired configuration with empty maps; with <paramref name="replacing"/>, as a seamless
    /// reload that takes over that process's listening sockets and lets it finish its sessions.
    /// </summary>
    /// <returns>Why haproxy did not start, or null.</returns>
    private async Task<string?> LaunchAsync(string haproxy, HaProxyStateDocument desired, HaProxyFiles files, HaProxyStateDocument? replacing, CancellationToken ct)
    {
        AtomicFile.Write(files.Config, Encoding.UTF8.GetBytes(desired.ConfigText), AtomicFileOptions.OwnerOnly);
        await File.WriteAllTextAsync(files.PinMap, "", ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(files.AnyPinMap, "", ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(files.SlotMap, "", ct).ConfigureAwait(false);
        File.Delete(files.PidFile);
        using var launcher = HaProxyProcess.Start(haproxy, desired.Id, files, replacing?.ProcessId);
        await launcher.WaitForExitAsync(ct).WaitAsync(_options.StartTimeout, _timeProvider, ct).ConfigureAwait(false);
        return launcher.ExitCode == 0 ? null : ProxyFiles.LastLogLine(files.Log) ?? $"haproxy exited with code {launcher.ExitCode}";
    }

    /// <summary>
    /// Regenerates the configuration with enough server slots for <paramref name="needed"/> members and reloads
    /// haproxy onto it. The new process starts with every slot free; the old one finishes its in-flight requests, so
    /// members draining there leave with it.
    /// </summary>
    private async Task<HaProxyStateDocument> GrowAsync(HaProxyStateDocument state, HaProxyFiles files, int needed, CancellationToken ct)
    {
        if (state.Definition is null || HaProxyProcess.Resolve(_options.HaProxyPath) is not { } haproxy)
        {
            throw new InvalidOperationException($"Load balancer {state.Id} needs {needed} server slots and has {state.Slots}; ensure it runs again to regenerate its configuration.");
        }

        var slots = SlotsFor(needed);
        var certificate = state.Definition.Tls is null ? null : WriteCertificate(state.Definition.Tls, files);
        var grown = state with
        {
            ConfigText = HaProxyConfig.Render(state.Definition, state.Port, slots, files, _options, certificate?.Thumbprint),
            Slots = slots,
            Members = [],
        };
        var error = await LaunchAsync(haproxy, grown, files, replacing: state, ct).ConfigureAwait(false);
        if (error is not null || !await WaitForApiAsync(files, ct).ConfigureAwait(false))
        {
            throw new InvalidOperationException(
                $"Load balancer {state.Id}: haproxy did not reload with {slots} server slots: {error ?? ProxyFiles.LastLogLine(files.Log) ?? "(no log)"}");
        }

        var pid = HaProxyProcess.ReadPid(files);
        grown = grown with { ProcessId = pid, ProcessStartTime = HaProxyProcess.StartTimeOf(pid, state.Id) };
        WriteState(files, grown);
        HaProxyLog.Grown(_logger, state.Id, slots, pid);
        return grown;
    }

    /// <summary>The configured number of slots, doubled until <paramref name="needed"/> fit.</summary>
    private int SlotsFor(int needed)
    {
        var slots = _options.ServerSlots;
        while (slots < needed)
        {
            slots *= 2;
        }

        return slots <= HaProxyLoadBalancerOptions.MaxServerSlots
            ? slots
            : throw new InvalidOperationException($"{needed} members need more than the {HaProxyLoadBalancerOptions.MaxServerSlots} server slots one haproxy may declare.");
    }

    private async Task<bool> WaitForApiAsync(HaProxyFiles files, CancellationToken ct)
    {
        var started = _timeProvider.GetTimestamp();
        while (!await ApiOf(files).IsAnsweringAsync(ct).ConfigureAwait(false))
        {
            if (_timeProvider.GetElapsedTime(started) >= _options.StartTimeout)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(25), _timeProvider, ct).ConfigureAwait(false);
        }

        return true;
    }

    private async Task<HaProxyStateDocument> SweepAsync(HaProxyStateDocument state, HaProxyFiles files, CancellationToken ct)
    {
        if (state.Members.Any(m => m.State == MemberState.Draining))
        {
            var sessions = HaProxyStats.Sessions(await ApiOf(files).SendAsync("show stat", ct).ConfigureAwait(false));
            state = state with { Members = await MembershipOf(files, state).SweepAsync(state.Members, state.DrainTimeout, sessions, ct).ConfigureAwait(false) };
        }

        WriteState(files, state);
        return state;
    }

    private HaProxyStateDocument RunningState(string id, HaProxyFiles files) =>
        ReadState(files) is { } state && HaProxyProcess.IsRunning(state)
            ? state
            : throw new InvalidOperationException($"Load balancer {id} is not running; last log line: {ProxyFiles.LastLogLine(files.Log) ?? "(none)"}");

    private LoadBalancerInstance Fail(HaProxyStateDocument desired, HaProxyFiles files, string message)
    {
        HaProxyLog.StartFailed(_logger, desired.Id, message);
        WriteState(files, desired with { ProcessId = 0, ProcessStartTime = 0, Message = message });
        return new LoadBalancerInstance { Id = desired.Id, State = LoadBalancerInstanceState.Failed, Message = message };
    }

    private static LoadBalancerInstance InstanceOf(HaProxyStateDocument state) => new()
    {
        Id = state.Id,
        State = LoadBalancerInstanceState.Running,
        ProcessId = state.ProcessId,
        ProcessStartTime = state.ProcessStartTime,
        Url = state.Url,
        AdminUrl = null,
        CertificateNotAfter = state.CertificateNotAfter,
    };

    /// <summary>Writes the certificate and its key into one owner-only file, as haproxy reads them.</summary>
    private static (string Thumbprint, DateTimeOffset NotAfter)? WriteCertificate(TlsSettings? tls, HaProxyFiles files)
    {
        if (tls is null)
        {
            File.Delete(files.Certificate);
            return null;
        }

        using var certificate = tls.Load();
        var pem = File.ReadAllText(tls.CertificatePath).TrimEnd() + "\n" + File.ReadAllText(tls.KeyPath).TrimEnd() + "\n";
        AtomicFile.Write(files.Certificate, Encoding.UTF8.GetBytes(pem), AtomicFileOptions.OwnerOnly);
        return (certificate.GetCertHashString(HashAlgorithmName.SHA256), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
    }

    private static int FreePort(string host)
    {
        using var listener = new TcpListener(IPAddress.Parse(host), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static HaProxyStateDocument? ReadState(HaProxyFiles files) =>
        ProxyFiles.TryRead(files.State, LoadBalancingJsonContext.Default.HaProxyStateDocument);

    private static void WriteState(HaProxyFiles files, HaProxyStateDocument state) =>
        ProxyFiles.WriteAtomically(files.State, state, LoadBalancingJsonContext.Default.HaProxyStateDocument, ownerOnly: true);

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
