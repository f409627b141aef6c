using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Strata.Common.Files;
using Strata.Storage;

namespace Strata.Providers.Local;

/// <summary>
/// The launch sequence of one server: place it (zone, address, settings) and record the intent, then clone the
/// image, attach volumes, write the first-boot configuration, run the configure hook and start the run command.
/// Anything that keeps the server from coming up ends in a <see cref="ServerInstanceState.Failed"/> record, not an exception.
/// </summary>
internal sealed class ServerLauncher
{
    private const string ConfigureMarkerSuffix = ":configure";

    private readonly LocalProviderOptions _options;
    private readonly ServerRecords _records;
    private readonly IServerAddresses _addresses;
    private readonly LocalImages _images;
    private readonly LocalVolumes _volumes;
    private readonly ServerProcesses _processes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _placement = new(1, 1);

    /// <summary>Raised when the run command of a server launched by this instance exits.</summary>
    public event Action<ServerStopped>? ServerStopped;

    public ServerLauncher(
        LocalProviderOptions options, ServerRecords records, IServerAddresses addresses, LocalImages images,
        LocalVolumes volumes, ServerProcesses processes, TimeProvider time, ILogger logger)
    {
        (_options, _records, _addresses, _images, _volumes, _processes, _time, _logger) =
            (options, records, addresses, images, volumes, processes, time, logger);
    }

    /// <summary>The marker of a server's configure hook, distinct from the run command's so the two are never confused.</summary>
    public static string ConfigureMarkerOf(string serverId) => serverId + ConfigureMarkerSuffix;

    /// <param name="request">What to launch.</param>
    /// <param name="interrupted">The record of an earlier launch of the same id that never finished, to start over from.</param>
    /// <param name="ct">Cancels the launch; the record then stays as it was, to be resumed.</param>
    public async Task<ServerInstance> LaunchAsync(LaunchRequest request, ServerInstance? interrupted, CancellationToken ct)
    {
        var placement = await PlaceAsync(request, interrupted, ct).ConfigureAwait(false);
        try
        {
            return await BringUpAsync(placement, request, ct).ConfigureAwait(false);
        }
        catch (LaunchFailure failure)
        {
            return Fail(placement.Record, failure.Message, failure.ExitCode);
        }
        catch (ObjectNotFoundException)
        {
            return Fail(placement.Record, $"image {request.Image.Id} is not in the object store; register it first", null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ProviderException)
        {
            return Fail(placement.Record, ex.Message, null);
        }
    }

    private sealed record Placement(ServerInstance Record, ServerIdentity Identity, LaunchSettings Settings);

    /// <summary>
    /// Chooses zone and address and records the intent. The address pool never hands out an address twice by itself;
    /// only choosing the least used zone, which counts the records written so far, is serialised with writing the
    /// record, so that parallel launches spread. A launch whose zone is given (the control plane gives one, but for a
    /// server that was to go on a host and has none yet) takes no lock: serialising every placement, with the launch settings resolved inside, made 100 parallel
    /// launches queue for it for up to a second each on a busy machine.
    /// </summary>
    private async Task<Placement> PlaceAsync(LaunchRequest request, ServerInstance? interrupted, CancellationToken ct)
    {
        if ((request.Zone ?? interrupted?.Zone) is { } zone)
        {
            return Place(request, interrupted, zone);
        }

        await _placement.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return Place(request, interrupted, LeastUsedZone(request));
        }
        finally
        {
            _placement.Release();
        }
    }

    private Placement Place(LaunchRequest request, ServerInstance? interrupted, string zone)
    {
        var address = interrupted?.Address ?? _addresses.Allocate();
        var identity = LocalServerLayout.IdentityOf(_records.Root, request, zone, address);
        var folder = _records.FolderOf(request.ServerId);
        var root = identity.RootPath;
        LaunchSettings settings;
        try
        {
            settings = request.Settings(identity) ?? throw new ArgumentException("the launch settings callback returned null", nameof(request));
            ArgumentException.ThrowIfNullOrWhiteSpace(settings.RunCommand, "request.Settings(identity).RunCommand");
        }
        catch when (interrupted is null)
        {
            _addresses.Release(address);
            throw;
        }

        var record = new ServerInstance
        {
            Id = request.ServerId, Name = identity.Name, Deployment = request.Deployment, Tier = request.Tier,
            Zone = zone, Address = address, ImageId = request.Image.Id, State = ServerInstanceState.Pending,
            LaunchedAt = _time.GetUtcNow(), RootPath = root, LogPath = Path.Combine(folder, "logs", "server.log"),
            ConfigPath = identity.ConfigPath, Volumes = request.Volumes, Ports = request.Ports,
            Resources = request.Resources,
        };
        _records.Write(record);
        return new Placement(record, identity, settings);
    }

    private string LeastUsedZone(LaunchRequest request)
    {
        var counts = _records.ReadAll()
            .Where(s => s.Deployment == request.Deployment && s.Tier == request.Tier)
            .GroupBy(s => s.Zone)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return _options.Zones.MinBy(zone => counts.GetValueOrDefault(zone))!;
    }

    private async Task<ServerInstance> BringUpAsync(Placement placement, LaunchRequest request, CancellationToken ct)
    {
        var (record, identity, settings) = placement;
        Directory.CreateDirectory(Path.GetDirectoryName(record.LogPath)!);
        var image = await _images.EnsureExtractedAsync(request.Image, ct).ConfigureAwait(false);
        DirectoryTree.Copy(image, identity.RootPath);
        var environment = BuildEnvironment(identity, settings, AttachVolumes(request.Volumes, identity.RootPath));
        WriteConfiguration(identity, settings.Configuration);
        EnsurePortsFree(identity.Address, request.Ports);
        if (!string.IsNullOrWhiteSpace(settings.ConfigureCommand))
        {
            record = Save(record with { State = ServerInstanceState.Configuring });
            await ConfigureAsync(settings.ConfigureCommand, identity, environment, ct).ConfigureAwait(false);
        }

        var started = _processes.Start(settings.RunCommand, identity.RootPath, environment, record.LogPath);
        record = Save(record with { State = ServerInstanceState.Running, ProcessId = started.Pid, ProcessStartTime = started.StartTime });
        if (_options.StartupWindow > TimeSpan.Zero
            && await _processes.WaitForEarlyExitAsync(started.Pid, _options.StartupWindow, ct).ConfigureAwait(false) is { } code)
        {
            var tail = await ServerLogs.ReadTailAsync(record.LogPath, 5, ct).ConfigureAwait(false);
            _processes.Forget(started.Pid);
            throw new LaunchFailure($"run command exited immediately with code {code}: {Summarise(tail)}", code);
        }

        var stopped = new ServerStopped(record.Deployment, record.Id);
        _processes.OnExit(started.Pid, () => ServerStopped?.Invoke(stopped));
        Log.ServerStarted(_logger, record.Id, record.Address, started.Pid);
        return record;
    }

    /// <summary>Links each volume's folder into the root at its mount path; returns the volumes by their variable name.</summary>
    private Dictionary<string, string> AttachVolumes(IReadOnlyList<VolumeAttachment> attachments, string root)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var attachment in attachments)
        {
            var volume = _volumes.Read(attachment.VolumeId)
                ?? throw new LaunchFailure($"volume '{attachment.VolumeId}' does not exist; create it first");
            var mount = Path.Combine(root, attachment.MountPath);
            if (Directory.Exists(mount) && !Directory.EnumerateFileSystemEntries(mount).Any())
            {
                // An empty folder in the image marks where the volume goes.
                Directory.Delete(mount);
            }
            else if (Path.Exists(mount))
            {
                throw new LaunchFailure($"mount path '{attachment.MountPath}' of volume '{volume.Id}' already exists in the image");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(mount)!);
            File.CreateSymbolicLink(mount, volume.Path);
            variables[LocalVolumes.VariableOf(volume)] = mount;
        }

        return variables;
    }

    private Dictionary<string, string> BuildEnvironment(ServerIdentity identity, LaunchSettings settings, Dictionary<string, string> volumes)
    {
        var environment = ChildEnvironment.Inherit(_options.InheritedEnvironment);
        foreach (var (name, value) in settings.Environment.Concat(volumes))
        {
            environment[name] = value;
        }

        environment["STRATA_SERVER_NAME"] = identity.Name;
        environment["STRATA_SERVER_ID"] = identity.ServerId;
        environment["STRATA_ADDRESS"] = identity.Address;
        environment["STRATA_TIER"] = identity.Tier;
        environment["STRATA_ZONE"] = identity.Zone;
        environment["STRATA_DEPLOYMENT"] = identity.Deployment;
        environment["STRATA_CONFIG"] = identity.ConfigPath;
        _processes.Markers.Tag(environment, identity.ServerId);
        return environment;
    }

    private static void WriteConfiguration(ServerIdentity identity, JsonObject? configuration)
    {
        if (configuration?.ContainsKey("strata") == true)
        {
            throw new LaunchFailure("the configuration must not use the reserved property 'strata'");
        }

        var document = new JsonObject
        {
            ["strata"] = new JsonObject
            {
                ["serverId"] = identity.ServerId, ["name"] = identity.Name, ["deployment"] = identity.Deployment,
                ["tier"] = identity.Tier, ["zone"] = identity.Zone, ["address"] = identity.Address,
                ["volumes"] = new JsonObject(identity.VolumePaths.Select(v => KeyValuePair.Create(v.Key, (JsonNode?)v.Value))),
            },
        };
        foreach (var (name, value) in configuration ?? [])
        {
            document[name] = value?.DeepClone();
        }

        // Secrets are in here: only the server's user may read it.
        AtomicFile.Write(identity.ConfigPath, JsonSerializer.SerializeToUtf8Bytes(document, new JsonSerializerOptions { WriteIndented = true }), RecordWrites.OwnerOnly);
    }

    private static void EnsurePortsFree(string address, IReadOnlyList<int> ports)
    {
        foreach (var port in ports)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            // Reuse lets a port in TIME_WAIT pass, as it would for the server; a listening socket still fails the bind.
            probe.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            try
            {
                probe.Bind(new IPEndPoint(IPAddress.Parse(address), port));
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new LaunchFailure($"port {port} is already in use on {address}");
            }
        }
    }

    private async Task ConfigureAsync(string command, ServerIdentity identity, Dictionary<string, string> environment, CancellationToken ct)
    {
        var marker = ConfigureMarkerOf(identity.ServerId);
        var hookEnvironment = new Dictionary<string, string>(environment);
        _processes.Markers.Tag(hookEnvironment, marker);
        var log = Path.Combine(Path.GetDirectoryName(identity.ConfigPath)!, "logs", "configure.log");
        var code = await _processes.RunToCompletionAsync(command, identity.RootPath, hookEnvironment, log, marker, _options.ConfigureTimeout, ct)
            .ConfigureAwait(false);
        if (code is 0)
        {
            return;
        }

        var tail = await ServerLogs.ReadTailAsync(log, 1, ct).ConfigureAwait(false);
        throw code is null
            ? new LaunchFailure($"configure hook did not finish within {_options.ConfigureTimeout}: {Summarise(tail)}")
            : new LaunchFailure($"configure hook exited with code {code}: {Summarise(tail)}", code);
    }

    private ServerInstance Fail(ServerInstance record, string message, int? exitCode)
    {
        Log.ServerFailed(_logger, record.Id, message);
        return Save(record with { State = ServerInstanceState.Failed, Message = message, ExitCode = exitCode });
    }

    private ServerInstance Save(ServerInstance record)
    {
        _records.Write(record);
        return record;
    }

    private static string Summarise(IReadOnlyList<string> lines) =>
        lines.Count == 0 ? "(no output)" : string.Join(" | ", lines.Where(l => l.Length > 0));
}
