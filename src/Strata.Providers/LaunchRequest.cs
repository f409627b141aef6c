using System.Text.Json.Nodes;

namespace Strata.Providers;

/// <summary>
/// Asks for one server. The address is chosen by the provider, yet the run command, environment and configuration
/// usually depend on it (<c>${self.address}</c>): the provider therefore allocates the address first and then calls
/// <see cref="Settings"/> with the server's <see cref="ServerIdentity"/> to obtain them.
/// </summary>
public sealed record LaunchRequest
{
    /// <summary>
    /// The server's physical name, e.g. <c>hello-web-k3x9a1</c>: lowercase letters, digits and dashes, at most 63
    /// characters. It is also the idempotency key of the launch.
    /// </summary>
    public required string ServerId { get; init; }

    /// <summary>The logical name, e.g. <c>web-0</c>, given to the server as <c>STRATA_SERVER_NAME</c>; defaults to <see cref="ServerId"/>.</summary>
    public string? Name { get; init; }

    public required string Deployment { get; init; }

    public required string Tier { get; init; }

    /// <summary>The zone to place the server in, or null to let the provider spread the tier across its zones.</summary>
    public string? Zone { get; init; }

    public required MachineImage Image { get; init; }

    /// <summary>Volumes to attach; they must exist (see <see cref="ICloudProvider.CreateVolumeAsync"/>).</summary>
    public IReadOnlyList<VolumeAttachment> Volumes { get; init; } = [];

    /// <summary>TCP ports the server will listen on at its address; a port already taken there fails the launch.</summary>
    public IReadOnlyList<int> Ports { get; init; } = [];

    /// <summary>Which hosts the server may be placed on, where the provider has hosts; the default allows any.</summary>
    public PlacementRules Placement { get; init; } = PlacementRules.Any;

    /// <summary>What the server reserves on the host it is placed on, where the provider has hosts; the default reserves nothing.</summary>
    public ServerResources Resources { get; init; } = ServerResources.None;

    /// <summary>Computes the commands, environment and configuration once the server's identity (address) is known.</summary>
    public required Func<ServerIdentity, LaunchSettings> Settings { get; init; }
}

/// <summary>A volume attached to a server at a path relative to the server's root, e.g. <c>data</c> or <c>var/lib/db</c>.</summary>
public sealed record VolumeAttachment(string VolumeId, string MountPath);

/// <summary>Who and where a server is, known before its commands are resolved.</summary>
/// <param name="ServerId">The physical name.</param>
/// <param name="Name">The logical name.</param>
/// <param name="Deployment">The deployment.</param>
/// <param name="Tier">The tier.</param>
/// <param name="Zone">The zone the server was placed in.</param>
/// <param name="Address">The server's own address, e.g. <c>127.1.0.7</c>.</param>
/// <param name="RootPath">The server's root folder, where its commands run.</param>
/// <param name="ConfigPath">The first-boot configuration file (JSON, mode 0600).</param>
/// <param name="VolumePaths">The absolute path of each attached volume, by volume id.</param>
public sealed record ServerIdentity(
    string ServerId,
    string Name,
    string Deployment,
    string Tier,
    string Zone,
    string Address,
    string RootPath,
    string ConfigPath,
    IReadOnlyDictionary<string, string> VolumePaths);

/// <summary>What a server runs, resolved against its <see cref="ServerIdentity"/>.</summary>
public sealed record LaunchSettings
{
    /// <summary>The final command, run with <c>/bin/sh -c</c> in the server's root. It should not exit while the server is up.</summary>
    public required string RunCommand { get; init; }

    /// <summary>A command run once before <see cref="RunCommand"/>, with the same environment; a non-zero exit fails the launch.</summary>
    public string? ConfigureCommand { get; init; }

    /// <summary>Environment variables added to the server's; Strata's own <c>STRATA_*</c> variables take precedence.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Written, with a <c>strata</c> property describing the server, to the first-boot configuration file (mode 0600):
    /// peers, resolved references, secrets. The property name <c>strata</c> is reserved.
    /// </summary>
    public JsonObject? Configuration { get; init; }
}
