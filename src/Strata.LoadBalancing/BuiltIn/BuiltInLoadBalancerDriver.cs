using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.LoadBalancing.Proxy;

namespace Strata.LoadBalancing.BuiltIn;

/// <summary>
/// The built-in driver: one proxy process per load balancer, started detached so it outlives the control plane.
/// Everything it knows lives in files under <see cref="BuiltInLoadBalancerOptions.RootPath"/>, so a new driver (after
/// a control-plane restart) finds and adopts the proxies that still run.
/// </summary>
internal sealed class BuiltInLoadBalancerDriver : ILoadBalancerDriver, IDisposable
{
    public const string DriverName = "builtin";

    private static readonly TimeSpan s_startPoll = TimeSpan.FromMilliseconds(50);

    private readonly BuiltInLoadBalancerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly AdminClient _admin;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    public BuiltInLoadBalancerDriver(IOptions<BuiltInLoadBalancerOptions> options, TimeProvider timeProvider, ILogger<BuiltInLoadBalancerDriver> logger)
    {
        _options = options.Value;
        var errors = _options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid built-in load balancer options: {string.Join("; ", errors)}.", nameof(options));
        }

        _timeProvider = timeProvider;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = _options.AdminRequestTimeout };
        _admin = new AdminClient(_http);
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

        var gate = GateOf(definition.Id);
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var files = FilesOf(definition.Id);
            Directory.CreateDirectory(files.Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var existing = ProxyFiles.TryRead(files.Config, LoadBalancingJsonContext.Default.ProxyConfig);
            var desired = ConfigOf(definition, existing?.AdminToken);
            if (ProxyProcess.FindRunning(definition.Id, files) is { } running)
            {
                if (existing is not null && existing.ServesSameAs(desired)
                    && await _admin.IsAnsweringAsync(running.AdminUrl!, desired.AdminToken, definition.Id, ct).ConfigureAwait(false))
                {
                    BuiltInLog.Adopted(_logger, definition.Id, running.ProcessId, running.Url);
                    return InstanceOf(running);
                }

                BuiltInLog.Restarting(_logger, definition.Id, running.ProcessId);
                await StopProcessAsync(running, existing?.DrainTimeout ?? definition.DrainTimeout, ct).ConfigureAwait(false);
            }

            ProxyFiles.WriteAtomically(files.Config, desired, LoadBalancingJsonContext.Default.ProxyConfig, ownerOnly: true);
            return await StartAsync(desired, files, ct).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
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

        var (adminUrl, token) = AdminOf(instance);
        var applied = await _admin.PutMembersAsync(adminUrl, token, instance.Id, documents, ct).ConfigureAwait(false);
        return [.. applied.Select(m => m.ToStatus())];
    }

    public Task<LoadBalancerInstance?> DescribeAsync(string id, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var files = FilesOf(id);
        if (!File.Exists(files.Config))
        {
            return Task.FromResult<LoadBalancerInstance?>(null);
        }

        if (ProxyProcess.FindRunning(id, files) is { } running)
        {
            return Task.FromResult<LoadBalancerInstance?>(InstanceOf(running));
        }

        var state = ProxyFiles.TryRead(files.State, LoadBalancingJsonContext.Default.ProxyStateDocument);
        var instance = state switch
        {
            null => new LoadBalancerInstance { Id = id, State = LoadBalancerInstanceState.Stopped },
            { State: LoadBalancerInstanceState.Failed } => new LoadBalancerInstance { Id = id, State = LoadBalancerInstanceState.Failed, Message = state.Message },
            _ => new LoadBalancerInstance
            {
                Id = id,
                State = LoadBalancerInstanceState.Failed,
                Message = $"the proxy process {state.ProcessId} exited unexpectedly; last log line: {ProxyFiles.LastLogLine(files.Log) ?? "(none)"}",
            },
        };
        return Task.FromResult<LoadBalancerInstance?>(instance);
    }

    public Task<LoadBalancerStats?> GetStatsAsync(LoadBalancerInstance instance, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var files = FilesOf(instance.Id);
        if (ProxyProcess.FindRunning(instance.Id, files) is not { AdminUrl: { } adminUrl })
        {
            return Task.FromResult<LoadBalancerStats?>(null);
        }

        var config = ProxyFiles.TryRead(files.Config, LoadBalancingJsonContext.Default.ProxyConfig);
        return config is null ? Task.FromResult<LoadBalancerStats?>(null) : _admin.GetStatsAsync(adminUrl, config.AdminToken, ct);
    }

    public async Task StopAsync(string id, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var gate = GateOf(id);
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var files = FilesOf(id);
            if (ProxyProcess.FindRunning(id, files) is { } running)
            {
                var config = ProxyFiles.TryRead(files.Config, LoadBalancingJsonContext.Default.ProxyConfig);
                await StopProcessAsync(running, config?.DrainTimeout ?? TimeSpan.Zero, ct).ConfigureAwait(false);
            }

            // A stopped load balancer is one that was removed: its folder holds the admin token and pin key, which must
            // not outlive it.
            LoadBalancerFolder.Remove(files.Folder);
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<LoadBalancerInstance> StartAsync(ProxyConfig config, ProxyFiles files, CancellationToken ct)
    {
        File.Delete(files.State);
        using var process = ProxyProcess.Start(_options, config.Id, files);
        var started = _timeProvider.GetTimestamp();
        while (true)
        {
            if (await CheckStartedAsync(config, files, process, ct).ConfigureAwait(false) is { } instance)
            {
                return instance;
            }

            if (_timeProvider.GetElapsedTime(started) >= _options.StartTimeout)
            {
                process.Kill(entireProcessTree: true);
                return Failed(config.Id, $"the proxy did not answer within {_options.StartTimeout.TotalSeconds:0.#} s; see {files.Log}");
            }

            await Task.Delay(s_startPoll, _timeProvider, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The outcome once the new proxy answers or gave up; null while it is still starting.</summary>
    private async Task<LoadBalancerInstance?> CheckStartedAsync(ProxyConfig config, ProxyFiles files, Process process, CancellationToken ct)
    {
        var state = ProxyFiles.TryRead(files.State, LoadBalancingJsonContext.Default.ProxyStateDocument);
        if (state is { State: LoadBalancerInstanceState.Failed })
        {
            return Failed(config.Id, state.Message ?? "the proxy failed to start");
        }

        if (state is { State: LoadBalancerInstanceState.Running, AdminUrl: { } adminUrl }
            && ProxyFiles.IdentityOf(state.ProcessId, state.ProcessStartTime, config.Id).IsRunning()
            && await _admin.IsAnsweringAsync(adminUrl, config.AdminToken, config.Id, ct).ConfigureAwait(false))
        {
            BuiltInLog.Started(_logger, config.Id, state.ProcessId, state.Url);
            return InstanceOf(state);
        }

        // setsid normally becomes the proxy itself; exit code 0 here only means it forked, so keep waiting for the state file.
        if (process.HasExited && process.ExitCode != 0)
        {
            var reason = ProxyFiles.TryRead(files.State, LoadBalancingJsonContext.Default.ProxyStateDocument)?.Message
                ?? ProxyFiles.LastLogLine(files.Log) ?? $"the proxy exited with code {process.ExitCode}";
            return Failed(config.Id, reason);
        }

        return null;
    }

    private async Task StopProcessAsync(ProxyStateDocument running, TimeSpan drainTimeout, CancellationToken ct)
    {
        var timeout = drainTimeout + _options.StopGracePeriod;
        if (!await ProxyProcess.StopAsync(running, timeout, _timeProvider, ct).ConfigureAwait(false))
        {
            BuiltInLog.Killing(_logger, running.Id, running.ProcessId, timeout);
        }

        BuiltInLog.Stopped(_logger, running.Id, running.ProcessId);
    }

    private (string AdminUrl, string Token) AdminOf(LoadBalancerInstance instance)
    {
        var files = FilesOf(instance.Id);
        var config = ProxyFiles.TryRead(files.Config, LoadBalancingJsonContext.Default.ProxyConfig)
            ?? throw new InvalidOperationException($"Load balancer {instance.Id} is unknown: no config in {files.Folder}.");
        var adminUrl = ProxyProcess.FindRunning(instance.Id, files)?.AdminUrl
            ?? throw new InvalidOperationException($"Load balancer {instance.Id} is not running; last log line: {ProxyFiles.LastLogLine(files.Log) ?? "(none)"}");
        return (adminUrl, config.AdminToken);
    }

    private LoadBalancerInstance Failed(string id, string message)
    {
        BuiltInLog.StartFailed(_logger, id, message);
        return new LoadBalancerInstance { Id = id, State = LoadBalancerInstanceState.Failed, Message = message };
    }

    private ProxyConfig ConfigOf(LoadBalancerDefinition definition, string? token) => new()
    {
        Id = definition.Id,
        ListenHost = definition.ListenHost,
        ListenPort = definition.ListenPort,
        AdminHost = definition.ListenHost,
        AdminPort = 0,
        AdminToken = token ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
        Algorithm = definition.Algorithm,
        DrainTimeout = definition.DrainTimeout,
        ConnectTimeout = _options.ConnectTimeout,
        PassiveHealthFailures = definition.PassiveHealthFailures,
        TlsCertificatePath = definition.Tls is null ? null : Path.GetFullPath(definition.Tls.CertificatePath),
        TlsKeyPath = definition.Tls is null ? null : Path.GetFullPath(definition.Tls.KeyPath),
        TlsThumbprint = Thumbprint(definition.Tls),
        Sticky = definition.Sticky,
        PinKey = definition.PinKey,
        MaxConnections = definition.MaxConnections,
        ResponseHeaderTimeout = definition.ResponseHeaderTimeout,
        TunnelTimeout = definition.TunnelTimeout,
        BackendProtocol = definition.BackendProtocol,
        MaxRequestBodyBytes = definition.MaxRequestBodyBytes,
    };

    private static string? Thumbprint(TlsSettings? tls)
    {
        if (tls is null)
        {
            return null;
        }

        using var certificate = tls.Load();
        return certificate.GetCertHashString(HashAlgorithmName.SHA256);
    }

    private static LoadBalancerInstance InstanceOf(ProxyStateDocument state) => new()
    {
        Id = state.Id,
        State = LoadBalancerInstanceState.Running,
        ProcessId = state.ProcessId,
        ProcessStartTime = state.ProcessStartTime,
        Url = state.Url,
        AdminUrl = state.AdminUrl,
        CertificateNotAfter = state.CertificateNotAfter,
    };

    private ProxyFiles FilesOf(string id) => ProxyFiles.InFolder(Path.Combine(_options.RootPath, id));

    private SemaphoreSlim GateOf(string id) => _gates.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
}
