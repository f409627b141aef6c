using System.Security.Cryptography;
using Strata.Api.Contracts.Agent;
using Strata.Providers;
using Strata.Providers.Local;
using Strata.Storage;
using Strata.Storage.FileSystem;

namespace Strata.Agent;

/// <summary>
/// The local provider's engine run on a host, under the agent's folder: <c>engine/</c> (servers as processes in their
/// own sessions, volumes as folders), <c>images/</c> (image archives by digest) and <c>uploads/</c> (archives the control
/// plane is sending). Every server gets the host's address. A new agent over the same folder adopts the servers an
/// earlier one launched, as the local provider does after a restart of the control plane.
/// </summary>
internal sealed class AgentEngine : IDisposable
{
    private readonly ICloudProvider _provider;
    private readonly IObjectStore _images;
    private readonly AgentLoadBalancers _loadBalancers;
    private readonly LocalServerShell _shell = new();

    public AgentEngine(AgentArguments arguments, TimeProvider time)
    {
        var folder = Path.GetFullPath(arguments.Folder);
        EngineRoot = Path.Combine(folder, "engine");
        UploadFolder = Path.Combine(folder, "uploads");
        Directory.CreateDirectory(UploadFolder);
        _images = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = Path.Combine(folder, "images") });
        var options = new LocalProviderOptions { RootPath = EngineRoot, SharedAddress = arguments.Address, Zones = [arguments.Zone] };
        _provider = LocalProviderFactory.Create(options, _images, time);
        _loadBalancers = new AgentLoadBalancers(folder, time);
    }

    public string EngineRoot { get; }

    /// <summary>The digest of the listing of every server, as <see cref="AgentListServers"/> would answer now (see <see cref="ServerMapping.Digest"/>).</summary>
    public async Task<string> ServersDigestAsync(CancellationToken ct) =>
        ServerMapping.Digest((await _provider.ListServersAsync(null, ct).ConfigureAwait(false)).Select(ServerMapping.ToWire));

    public string UploadFolder { get; }

    /// <summary>Raised when the run command of a server this engine launched exits.</summary>
    public event Action<ServerStopped>? ServerStopped
    {
        add => _provider.ServerStopped += value;
        remove => _provider.ServerStopped -= value;
    }

    private async Task<AgentServersReply> ListAsync(AgentListServers list, CancellationToken ct)
    {
        List<AgentServer> servers = [.. (await _provider.ListServersAsync(list.Deployment, ct).ConfigureAwait(false)).Select(ServerMapping.ToWire)];
        return new AgentServersReply { ReplyTo = list.Id, Servers = servers, Digest = list.Deployment is null ? ServerMapping.Digest(servers) : null };
    }

    /// <summary>Carries out a request; a failure is the answer <see cref="AgentFailed"/>, naming the reason.</summary>
    public async Task<AgentReply> HandleAsync(AgentRequest request, CancellationToken ct)
    {
        try
        {
            return request switch
            {
                AgentLaunch launch => await LaunchAsync(launch, ct).ConfigureAwait(false),
                AgentTerminate terminate => await DoneAsync(terminate, _provider.TerminateAsync(terminate.ServerId, Grace(terminate), ct)).ConfigureAwait(false),
                AgentFence fence => await DoneAsync(fence, _provider.FenceAsync(fence.ServerId, ct)).ConfigureAwait(false),
                AgentKeepOnly keep => new AgentServersReply { ReplyTo = keep.Id, Servers = await StopAllButAsync(keep.ServerIds, ct).ConfigureAwait(false) },
                AgentListServers list => await ListAsync(list, ct).ConfigureAwait(false),
                AgentMissingImages missing => new AgentImagesReply
                {
                    ReplyTo = missing.Id,
                    Missing = await MissingAsync(missing.ImageIds, ct).ConfigureAwait(false),
                    DiskFreeBytes = FreeBytes(UploadFolder),
                },
                AgentImageUploaded uploaded => await DoneAsync(uploaded, KeepUploadAsync(uploaded, ct)).ConfigureAwait(false),
                AgentCreateVolume create => new AgentVolumeReply { ReplyTo = create.Id, Volume = ToWire(await CreateVolumeAsync(create, ct).ConfigureAwait(false)) },
                AgentFillVolume fill => await DoneAsync(fill, FillVolumeAsync(fill, ct)).ConfigureAwait(false),
                AgentPackVolume pack => await DoneAsync(pack, PackVolumeAsync(pack, ct)).ConfigureAwait(false),
                AgentDeleteVolume delete => await DoneAsync(delete, _provider.DeleteVolumeAsync(delete.VolumeId, ct)).ConfigureAwait(false),
                AgentLoadBalancerCall call => await _loadBalancers.CallAsync(call, ct).ConfigureAwait(false),
                AgentRunCommand run => await RunCommandAsync(run, ct).ConfigureAwait(false),
                AgentReadLog read => new AgentLogReply { ReplyTo = read.Id, Lines = await _provider.ReadLogTailAsync(read.ServerId, read.Lines, ct).ConfigureAwait(false) },
                _ => new AgentFailed { ReplyTo = request.Id, Error = $"this agent does not carry out '{request.GetType().Name}' requests" },
            };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The failure belongs to the request, not to the agent: the control plane gets it as the answer.
            return new AgentFailed { ReplyTo = request.Id, Error = ex.Message };
        }
    }

    /// <summary>The server's last <paramref name="lines"/> log lines, then each line it writes, until cancelled.</summary>
    public IAsyncEnumerable<string> FollowLogAsync(string serverId, int lines, CancellationToken ct) => _provider.FollowLogAsync(serverId, lines, ct);

    /// <summary>Rotates the logs of the host's servers that grew too large, as the control plane does for its own.</summary>
    public Task RotateLogsAsync(CancellationToken ct) => _provider.RotateLogsAsync(ct);

    public void Dispose()
    {
        (_provider as IDisposable)?.Dispose();
        _loadBalancers.Dispose();
    }

    /// <summary>Runs a command in the root of a server of this host; one this host does not know is refused.</summary>
    private async Task<AgentReply> RunCommandAsync(AgentRunCommand run, CancellationToken ct)
    {
        var server = await _provider.DescribeServerAsync(run.ServerId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"there is no server {run.ServerId} on this host");
        var result = await _shell.RunAsync(new ShellRequest
        {
            ServerId = run.ServerId, WorkingDirectory = server.RootPath, Command = run.Command, Environment = run.Environment,
            Timeout = TimeSpan.FromMilliseconds(Math.Max(1, run.TimeoutMs)),
        }, ct).ConfigureAwait(false);
        return new AgentCommandReply { ReplyTo = run.Id, ExitCode = result.ExitCode, TimedOut = result.TimedOut, Output = result.Output, Text = result.Text };
    }

    private async Task<AgentReply> LaunchAsync(AgentLaunch launch, CancellationToken ct)
    {
        var spec = launch.Server;
        var request = new LaunchRequest
        {
            ServerId = spec.ServerId, Name = spec.Name, Deployment = spec.Deployment, Tier = spec.Tier, Zone = spec.Zone,
            Image = new MachineImage { Id = spec.ImageId, Name = spec.ImageName, SizeBytes = 0 },
            Volumes = [.. spec.Volumes.Select(v => new VolumeAttachment(v.VolumeId, v.MountPath))],
            Ports = spec.Ports,
            Resources = ServerMapping.ResourcesOf(spec.Cpu, spec.MemoryBytes),
            Settings = identity => SettingsFor(spec, identity),
        };
        var server = await _provider.LaunchAsync(request, ct).ConfigureAwait(false);
        return new AgentServerReply { ReplyTo = launch.Id, Server = ServerMapping.ToWire(server) };
    }

    /// <summary>The settings the control plane resolved, provided the engine gave the server the identity they were resolved for.</summary>
    private static LaunchSettings SettingsFor(AgentLaunchSpec spec, ServerIdentity identity)
    {
        if (identity.RootPath != spec.RootPath || identity.ConfigPath != spec.ConfigPath || identity.Address != spec.Address)
        {
            throw new ArgumentException(
                $"server '{spec.ServerId}' was resolved for {spec.Address} in {spec.RootPath}, but this agent gives it {identity.Address} in {identity.RootPath}; "
                + "the control plane and the agent disagree about the host (reconnect the host to reinstall its agent)");
        }

        return new LaunchSettings
        {
            RunCommand = spec.RunCommand, ConfigureCommand = spec.ConfigureCommand, Environment = spec.Environment, Configuration = spec.Configuration,
        };
    }

    /// <summary>
    /// Kills every process of each server not kept, before anything else (so it neither serves nor writes one moment
    /// more), then deletes it; returns them as they were.
    /// </summary>
    private async Task<IReadOnlyList<AgentServer>> StopAllButAsync(IReadOnlyList<string> kept, CancellationToken ct)
    {
        var keep = kept.ToHashSet(StringComparer.Ordinal);
        var stopped = (await _provider.ListServersAsync(null, ct).ConfigureAwait(false))
            .Where(s => !keep.Contains(s.Id) && s.State != ServerInstanceState.Terminated).ToList();
        foreach (var server in stopped)
        {
            await _provider.FenceAsync(server.Id, ct).ConfigureAwait(false);
        }

        foreach (var server in stopped)
        {
            await _provider.TerminateAsync(server.Id, TimeSpan.Zero, ct).ConfigureAwait(false);
        }

        return [.. stopped.Select(ServerMapping.ToWire)];
    }

    private async Task<IReadOnlyList<string>> MissingAsync(IReadOnlyList<string> imageIds, CancellationToken ct)
    {
        var missing = new List<string>();
        foreach (var id in imageIds)
        {
            if (!await _images.ExistsAsync(ImageArchives.KeyOf(DigestOf(id)), ct).ConfigureAwait(false))
            {
                missing.Add(id);
            }
        }

        return missing;
    }

    private Task<VolumeInfo> CreateVolumeAsync(AgentCreateVolume create, CancellationToken ct) =>
        _provider.CreateVolumeAsync(new VolumeRequest { VolumeId = create.VolumeId, Name = create.Name, Deployment = create.Deployment, SizeMiB = create.SizeMiB }, ct);

    /// <summary>
    /// Replaces a volume's content with the uploaded archive's and deletes the upload either way. The archive is
    /// extracted beside the volume first, so that a damaged one leaves the volume as it was.
    /// </summary>
    private async Task FillVolumeAsync(AgentFillVolume fill, CancellationToken ct)
    {
        var path = Path.Combine(UploadFolder, UploadName(fill.FileName));
        try
        {
            var volume = await FindVolumeAsync(fill.VolumeId, ct).ConfigureAwait(false);
            var user = (await _provider.ListServersAsync(null, ct).ConfigureAwait(false))
                .FirstOrDefault(s => s.State is ServerInstanceState.Pending or ServerInstanceState.Configuring or ServerInstanceState.Running
                    && s.Volumes.Any(v => v.VolumeId == fill.VolumeId));
            if (user is not null)
            {
                throw new InvalidOperationException($"volume '{fill.VolumeId}' is attached to server {user.Id}, which runs; its content is not replaced under it");
            }

            await VolumeContent.ReplaceAsync(volume.Path, path, ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Writes the volume's content as a tar archive into the upload folder; one not written whole is deleted.</summary>
    private async Task PackVolumeAsync(AgentPackVolume pack, CancellationToken ct)
    {
        var path = Path.Combine(UploadFolder, UploadName(pack.FileName));
        var volume = await FindVolumeAsync(pack.VolumeId, ct).ConfigureAwait(false);
        CheckRoomToPack(pack.VolumeId, volume.Path);
        try
        {
            await using var archive = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await VolumeContent.WriteAsync(volume.Path, archive, ct).ConfigureAwait(false);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>
    /// The archive is written on the disk this host's servers write to: one that filled it would make them fail
    /// mid-write (a database out of space) for the sake of a backup. A pack that would leave less than
    /// <see cref="KeptFreeShare"/> of the disk free is refused before anything is written.
    /// </summary>
    private void CheckRoomToPack(string volumeId, string volumePath)
    {
        // Made again if someone deleted it: a missing folder would read as a missing drive.
        Directory.CreateDirectory(UploadFolder);
        var drive = new DriveInfo(UploadFolder);
        var kept = Math.Min((long)(drive.TotalSize * KeptFreeShare), KeptFreeAtMost);
        var (free, needed) = (drive.AvailableFreeSpace, VolumeContent.ArchiveBytes(volumePath));
        if (needed > free - kept)
        {
            throw new InvalidOperationException(
                $"its disk is too full to copy volume '{volumeId}': the copy needs about {ServerResources.FormatBytes(needed)} in {UploadFolder}, "
                + $"where {ServerResources.FormatBytes(free)} is free and {ServerResources.FormatBytes(kept)} ({(int)(KeptFreeShare * 100)} % of the disk, at most {ServerResources.FormatBytes(KeptFreeAtMost)}) is kept for the servers; "
                + "nothing was written. Free space on the host");
        }
    }

    /// <summary>The share of the disk a volume's copy leaves free for the servers (5 %), up to <see cref="KeptFreeAtMost"/>.</summary>
    private const double KeptFreeShare = 0.05;

    /// <summary>Free space enough for the servers on any disk while a copy is written (20 GiB).</summary>
    private const long KeptFreeAtMost = 20L << 30;

    private async Task<VolumeInfo> FindVolumeAsync(string volumeId, CancellationToken ct) =>
        (await _provider.ListVolumesAsync(null, ct).ConfigureAwait(false)).FirstOrDefault(v => v.Id == volumeId)
        ?? throw new ArgumentException($"there is no volume '{volumeId}' on this host");

    private static AgentVolume ToWire(VolumeInfo volume) => new()
    {
        Id = volume.Id, Name = volume.Name, Deployment = volume.Deployment, SizeMiB = volume.SizeMiB, Path = volume.Path, CreatedAt = volume.CreatedAt,
    };

    /// <summary>A plain file name in the upload folder, or an <see cref="ArgumentException"/>: nothing outside it is touched.</summary>
    private static string UploadName(string fileName) =>
        fileName.Length == 0 || fileName != Path.GetFileName(fileName) || fileName.StartsWith('.')
            ? throw new ArgumentException($"'{fileName}' is not a file name in the upload folder")
            : fileName;

    /// <summary>Checks the upload against its digest, keeps it in the image store and deletes the upload either way.</summary>
    private async Task KeepUploadAsync(AgentImageUploaded uploaded, CancellationToken ct)
    {
        var digest = DigestOf(uploaded.ImageId);
        var path = Path.Combine(UploadFolder, UploadName(uploaded.FileName));
        try
        {
            await using var content = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(content, ct).ConfigureAwait(false));
            if (actual != digest)
            {
                throw new InvalidDataException($"the upload of image {uploaded.ImageId} has digest sha256:{actual}; it was damaged on the way and is dropped");
            }

            content.Position = 0;
            await _images.PutAsync(ImageArchives.KeyOf(digest), content, ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string DigestOf(string imageId)
    {
        var digest = new MachineImage { Id = imageId, Name = "", SizeBytes = 0 }.Digest;
        return imageId.StartsWith(MachineImage.DigestPrefix, StringComparison.Ordinal) && digest.Length == 64 && digest.All(char.IsAsciiHexDigitLower)
            ? digest
            : throw new ArgumentException($"'{imageId}' is not an image id (sha256:<64 lowercase hex digits>)");
    }

    /// <summary>Free bytes on the disk that holds the engine (images, servers, volumes), or null when it cannot be measured.</summary>
    public long? DiskFreeBytes() => FreeBytes(UploadFolder);

    /// <summary>Free bytes on the disk of a folder, or null when it cannot be measured (the folder was removed): the answer must not fail for it.</summary>
    private static long? FreeBytes(string folder)
    {
        try
        {
            return new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static TimeSpan? Grace(AgentTerminate terminate) => terminate.GraceMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null;

    private static async Task<AgentReply> DoneAsync(AgentRequest request, Task work)
    {
        await work.ConfigureAwait(false);
        return new AgentDone { ReplyTo = request.Id };
    }
}
