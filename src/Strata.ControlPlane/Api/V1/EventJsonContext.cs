using System.Text.Json.Serialization;
using Strata.ControlPlane.Events;

namespace Strata.ControlPlane.Api.V1;

/// <summary>
/// Source-generated JSON for the event stream. <see cref="DeploymentEvent"/> is the event log's own record, served as
/// it is; it stays beside the log rather than in Strata.Api.Contracts while its typed fields are being settled.
/// </summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, UseStringEnumConverter = true, WriteIndented = false)]
[JsonSerializable(typeof(DeploymentEvent))]
public sealed partial class EventJsonContext : JsonSerializerContext;
