namespace Strata.Providers;

/// <summary>What a provider supports, so that plans needing more are rejected before anything is launched.</summary>
public sealed record ProviderCapabilities
{
    /// <summary>Servers can attach volumes that outlive them.</summary>
    public required bool SupportsVolumes { get; init; }

    /// <summary>Volumes can be snapshotted.</summary>
    public required bool SupportsSnapshots { get; init; }

    /// <summary>Servers are placed in distinct zones.</summary>
    public required bool SupportsZones { get; init; }

    /// <summary>Firewall rules are enforced by the provider.</summary>
    public required bool SupportsFirewall { get; init; }

    /// <summary>Server addresses are loopback addresses (127.x.y.z), reachable only from this machine.</summary>
    public required bool LoopbackAddresses { get; init; }

    /// <summary>Servers keep running when the control plane stops, and are adopted when it starts again.</summary>
    public required bool ServersSurviveControlPlane { get; init; }

    /// <summary>The most servers that can exist at once.</summary>
    public required int MaxServers { get; init; }
}
