using System.Text.Json.Serialization;

namespace Strata.Providers.Local;

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ServerInstance))]
[JsonSerializable(typeof(VolumeInfo))]
internal sealed partial class LocalJsonContext : JsonSerializerContext;
