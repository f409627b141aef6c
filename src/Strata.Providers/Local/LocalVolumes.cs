using System.Text.Json;
using Strata.Common.Files;

namespace Strata.Providers.Local;

/// <summary>Volumes are folders <c>volumes/&lt;id&gt;/data</c> with their record beside them; they outlive servers.</summary>
internal sealed class LocalVolumes
{
    private const string RecordFile = "volume.json";

    private readonly string _folder;
    private readonly TimeProvider _time;
    private readonly object _gate = new();

    public LocalVolumes(string rootPath, TimeProvider time)
    {
        _folder = Path.Combine(rootPath, "volumes");
        _time = time;
        Directory.CreateDirectory(_folder);
    }

    public VolumeInfo Create(VolumeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Identifiers.Validate(request.VolumeId, "volume id");
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Name);
        lock (_gate)
        {
            if (Read(request.VolumeId) is { } existing)
            {
                return existing.Name == request.Name && existing.Deployment == request.Deployment
                    ? existing
                    : throw new ArgumentException($"volume '{request.VolumeId}' already exists as '{existing.Name}' of deployment '{existing.Deployment}'", nameof(request));
            }

            var folder = Path.Combine(_folder, request.VolumeId);
            var volume = new VolumeInfo
            {
                Id = request.VolumeId,
                Name = request.Name,
                Deployment = request.Deployment,
                SizeMiB = request.SizeMiB,
                Path = Path.Combine(folder, "data"),
                CreatedAt = _time.GetUtcNow(),
            };
            Directory.CreateDirectory(volume.Path);
            AtomicFile.Write(Path.Combine(folder, RecordFile), JsonSerializer.SerializeToUtf8Bytes(volume, LocalJsonContext.Default.VolumeInfo), RecordWrites.Readable);
            return volume;
        }
    }

    public VolumeInfo? Read(string volumeId)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(_folder, volumeId, RecordFile)), LocalJsonContext.Default.VolumeInfo);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public IReadOnlyList<VolumeInfo> List(string? deployment) =>
        [.. Directory.EnumerateDirectories(_folder)
            .Select(Path.GetFileName)
            .Where(name => !name!.StartsWith('.'))
            .Select(name => Read(name!))
            .OfType<VolumeInfo>()
            .Where(v => deployment is null || v.Deployment == deployment)
            .OrderBy(v => v.Id, StringComparer.Ordinal)];

    public void Delete(string volumeId)
    {
        Identifiers.Validate(volumeId, "volume id");
        lock (_gate)
        {
            AtomicFile.DeleteFolder(Path.Combine(_folder, volumeId));
        }
    }

    /// <summary>The variable a server reads a volume's path from: <c>STRATA_VOLUME_</c> and the name in upper case, non-alphanumerics as <c>_</c>.</summary>
    public static string VariableOf(VolumeInfo volume) =>
        "STRATA_VOLUME_" + new string([.. volume.Name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_')]);
}
