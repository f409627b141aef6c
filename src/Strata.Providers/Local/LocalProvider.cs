using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Common.Concurrency;
using Strata.Storage;

namespace Strata.Providers.Local;

/// <summary>
/// Servers as processes on this machine, each on its own loopback address, with everything about them kept in files
/// under <see cref="LocalProviderOptions.RootPath"/>. A new instance over the same folder sees and adopts the servers
/// an earlier instance launched. One control plane at a time may use a given folder.
/// </summary>
internal sealed class LocalProvider : ICloudProvider, IDisposable
{
    public const string ProviderName = "local";

    private readonly LocalProviderOptions _options;
    private readonly ServerRecords _records;
    private readonly IServerAddresses _addresses;
    private readonly LocalImages _images;
    private readonly LocalVolumes _volumes;
    private readonly ServerProcesses _processes;
    private readonly ServerLauncher _launcher;
    private readonly ServerFence _fence;
    private readonly ServerMarkers _markers;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly KeyedLock _locks = new();

    public LocalProvider(IOptions<LocalProviderOptions> options, IObjectStore imageStore, TimeProvider time, ILogger<LocalProvider> logger)
    {
        _options = options.Value;
        if (_options.Validate() is { Count: > 0 } errors)
        {
            throw new ArgumentException("invalid local provider options: " + string.Join("; ", errors), nameof(options));
        }

        _time = time;
        _logger = logger;
        var root = Path.GetFullPath(_options.RootPath);
        _records = new ServerRecords(root);
        _addresses = ServerAddresses.Create(_options, root, _records.ReadAll().Select(s => s.Address));
        _images = new LocalImages(imageStore, root);
        _volumes = new LocalVolumes(root, time);
        _markers = new ServerMarkers(root);
        _processes = new ServerProcesses(_markers, time, _options.PollInterval);
        _fence = new ServerFence(_markers, time, _options.PollInterval);
        _launcher = new ServerLauncher(_options, _records, _addresses, _images, _volumes, _processes, time, logger);
        Zones = [.. _options.Zones];
        Capabilities = new ProviderCapabilities
        {
            SupportsVolumes = true,
            SupportsSnapshots = false,
            SupportsZones = true,
            SupportsFirewall = false,
            LoopbackAddresses = _options.SharedAddress is null || System.Net.IPAddress.IsLoopback(System.Net.IPAddress.Parse(_options.SharedAddress)),
            ServersSurviveControlPlane = true,
            MaxServers = _addresses.Capacity,
        };
    }

    public string Name => ProviderName;

    // Only processes this instance started are watched; servers adopted after a restart are seen by the periodic listing.
    public event Action<ServerStopped>? ServerStopped
    {
        add => _launcher.ServerStopped += value;
        remove => _launcher.ServerStopped -= value;
    }

    public ProviderCapabilities Capabilities { get; }

    public IReadOnlyList<string> Zones { get; }

    public async Task<MachineImage> RegisterImageAsync(string sourceFolder, CancellationToken ct)
    {
        var image = await _images.RegisterAsync(sourceFolder, ct).ConfigureAwait(false);
        Log.ImageRegistered(_logger, image.Id, image.SourcePath!);
        return image;
    }

    public async Task<ServerInstance> LaunchAsync(LaunchRequest request, CancellationToken ct)
    {
        Validate(request);
        using var _ = await _locks.AcquireAsync(request.ServerId, ct).ConfigureAwait(false);
        var existing = _records.Read(request.ServerId);
        if (existing is null)
        {
            return await _launcher.LaunchAsync(request, null, ct).ConfigureAwait(false);
        }

        if (existing.State is not (ServerInstanceState.Pending or ServerInstanceState.Configuring))
        {
            return Observe(existing);
        }

        // The intent was recorded but the launch never finished: adopt the process if it got that far, else start over.
        if (AdoptOrphan(existing) is { } adopted)
        {
            return adopted;
        }

        await StopLeftoversAsync(existing.Id, TimeSpan.Zero, ct).ConfigureAwait(false);
        _records.ClearAllButRecord(existing.Id);
        Log.LaunchResumed(_logger, existing.Id, existing.State);
        return await _launcher.LaunchAsync(request, existing, ct).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<ServerInstance>> ListServersAsync(string? deployment, CancellationToken ct)
    {
        IReadOnlyList<ServerInstance> servers = [.. _records.ReadAll().Where(s => deployment is null || s.Deployment == deployment).Select(Observe)];
        return Task.FromResult(servers);
    }

    public Task<ServerInstance?> DescribeServerAsync(string serverId, CancellationToken ct)
    {
        Identifiers.Validate(serverId, "server id");
        return Task.FromResult(_records.Read(serverId) is { } record ? Observe(record) : null);
    }

    public async Task TerminateAsync(string serverId, TimeSpan? grace, CancellationToken ct)
    {
        Identifiers.Validate(serverId, "server id");
        using var _ = await _locks.AcquireAsync(serverId, ct).ConfigureAwait(false);
        if (_records.Read(serverId) is not { } record)
        {
            return;
        }

        var wait = grace ?? _options.TerminateGrace;
        if (record.ProcessId is { } pid)
        {
            await _processes.StopGroupAsync(pid, serverId, wait, ct).ConfigureAwait(false);
            _processes.Forget(pid);
        }

        // Nearly always nothing of the server is left once its group has stopped, and one look at the machine's
        // processes says so: leftovers of an interrupted launch, and whatever escaped its group, are what the fence finds.
        var volumes = VolumeFolders(record);
        if (ServerFence.AnyLeft(record, volumes, _markers))
        {
            await StopLeftoversAsync(serverId, wait, ct).ConfigureAwait(false);
            await _fence.RaiseAsync(record, volumes, ct).ConfigureAwait(false);
        }

        _records.Delete(serverId);
        _addresses.Release(record.Address);
        Log.ServerTerminated(_logger, serverId);
    }

    public async Task FenceAsync(string serverId, CancellationToken ct)
    {
        Identifiers.Validate(serverId, "server id");
        using var _ = await _locks.AcquireAsync(serverId, ct).ConfigureAwait(false);
        if (_records.Read(serverId) is { } record)
        {
            await _fence.RaiseAsync(record, VolumeFolders(record), ct).ConfigureAwait(false);
            Log.ServerFenced(_logger, serverId);
        }
    }

    /// <summary>
    /// The real folders of the server's volumes, leaving out those a server launched after it has taken over: a
    /// failed server keeps its record (and its volumes in it) until it is cleaned up, after its replacement took them
    /// over, and whatever works in them by then is the replacement. A server launched before it (failed too, not yet
    /// cleaned up) does not count: the volume is this server's until a later one has it.
    /// </summary>
    private List<string> VolumeFolders(ServerInstance record)
    {
        var takenOver = _records.ReadAll()
            .Where(r => r.Id != record.Id && r.LaunchedAt > record.LaunchedAt)
            .SelectMany(r => r.Volumes).Select(v => v.VolumeId).ToHashSet(StringComparer.Ordinal);
        return [.. record.Volumes.Where(v => !takenOver.Contains(v.VolumeId)).Select(v => _volumes.Read(v.VolumeId)?.Path).OfType<string>()];
    }

    public Task<VolumeInfo> CreateVolumeAsync(VolumeRequest request, CancellationToken ct) => Task.FromResult(_volumes.Create(request));

    public Task<IReadOnlyList<VolumeInfo>> ListVolumesAsync(string? deployment, CancellationToken ct) => Task.FromResult(_volumes.List(deployment));

    public Task DeleteVolumeAsync(string volumeId, CancellationToken ct)
    {
        Identifiers.Validate(volumeId, "volume id");
        if (_records.ReadAll().FirstOrDefault(s => s.Volumes.Any(v => v.VolumeId == volumeId)) is { } user)
        {
            throw new ProviderException($"volume '{volumeId}' is attached to server '{user.Id}'; terminate the server first");
        }

        _volumes.Delete(volumeId);
        return Task.CompletedTask;
    }

    public Task<VolumeSnapshot> SnapshotVolumeAsync(string volumeId, CancellationToken ct) =>
        throw new NotSupportedException("the local provider does not support volume snapshots yet");

    public Task<IReadOnlyList<string>> ReadLogTailAsync(string serverId, int lines, CancellationToken ct) =>
        ServerLogs.ReadTailAsync(RequireServer(serverId).LogPath, lines, ct);

    public async IAsyncEnumerable<string> FollowLogAsync(string serverId, int tailLines, [EnumeratorCancellation] CancellationToken ct)
    {
        var record = RequireServer(serverId);
        await foreach (var line in ServerLogs.FollowAsync(record.LogPath, tailLines, _options.PollInterval, _time, ct).ConfigureAwait(false))
        {
            yield return line;
        }
    }

    public Task RotateLogsAsync(CancellationToken ct)
    {
        foreach (var record in _records.ReadAll())
        {
            ct.ThrowIfCancellationRequested();
            if (ServerLogs.RotateIfLarge(record.LogPath, _options.LogMaxBytes, _options.LogFilesKept))
            {
                Log.LogRotated(_logger, record.LogPath);
            }
        }

        return Task.CompletedTask;
    }

    public void Dispose() => _processes.Dispose();

    /// <summary>The recorded state corrected by what is actually running: a dead process makes a Running server Stopped.</summary>
    private ServerInstance Observe(ServerInstance record)
    {
        if (record is not { State: ServerInstanceState.Running, ProcessId: { } pid })
        {
            return record;
        }

        // A child of this instance is known alive without /proc: just after it starts, /proc still shows the forked
        // copy of this process, before exec has given it the server's marker.
        if (_processes.IsRunningChild(pid) || _markers.IsSameProcess(pid, record.ProcessStartTime ?? 0, record.Id))
        {
            return record;
        }

        var exitCode = _processes.ExitCodeOf(pid) ?? record.ExitCode;
        return record with
        {
            State = ServerInstanceState.Stopped,
            ExitCode = exitCode,
            Message = exitCode is { } code ? $"process {pid} exited with code {code}" : $"process {pid} is no longer running",
        };
    }

    private ServerInstance? AdoptOrphan(ServerInstance record)
    {
        if (_markers.FindGroupLeader(record.Id) is not { } found)
        {
            return null;
        }

        var adopted = record with { State = ServerInstanceState.Running, ProcessId = found.Pid, ProcessStartTime = found.StartTime };
        _records.Write(adopted);
        Log.ServerAdopted(_logger, record.Id, found.Pid);
        return adopted;
    }

    /// <summary>Stops processes an interrupted launch may have left: a run command not yet recorded, a configure hook.</summary>
    private async Task StopLeftoversAsync(string serverId, TimeSpan grace, CancellationToken ct)
    {
        foreach (var (marker, leftover) in _markers.FindGroupLeaders([serverId, ServerLauncher.ConfigureMarkerOf(serverId)]))
        {
            await _processes.StopGroupAsync(leftover.Pid, marker, grace, ct).ConfigureAwait(false);
        }
    }

    private ServerInstance RequireServer(string serverId)
    {
        Identifiers.Validate(serverId, "server id");
        return _records.Read(serverId) ?? throw new ProviderException($"server '{serverId}' does not exist");
    }

    private void Validate(LaunchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Identifiers.Validate(request.ServerId, "server id");
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Deployment, "request.Deployment");
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Tier, "request.Tier");
        ArgumentNullException.ThrowIfNull(request.Image, "request.Image");
        ArgumentNullException.ThrowIfNull(request.Settings, "request.Settings");
        if (request.Zone is { } zone && !Zones.Contains(zone))
        {
            throw new ArgumentException($"zone '{zone}' is not one of the local provider's zones: {string.Join(", ", Zones)}", nameof(request));
        }

        foreach (var attachment in request.Volumes)
        {
            Identifiers.Validate(attachment.VolumeId, "volume id");
            Identifiers.ValidateMountPath(attachment.MountPath);
        }

        if (request.Ports.FirstOrDefault(p => p is < 1 or > 65535) is var bad && bad != 0)
        {
            throw new ArgumentException($"port {bad} is out of range 1-65535", nameof(request));
        }
    }
}
