using System.Text.Json.Serialization;
using Strata.Backups.Chunking;
using Strata.Backups.Services;
using Strata.Backups.Snapshots;

namespace Strata.Backups;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SnapshotManifest))]
[JsonSerializable(typeof(SealedManifest))]
[JsonSerializable(typeof(ManifestHeader))]
[JsonSerializable(typeof(AdoptedManifests))]
[JsonSerializable(typeof(RepositoryConfig))]
[JsonSerializable(typeof(ServiceBackupInfo))]
internal sealed partial class BackupJsonContext : JsonSerializerContext;
