using Strata.Api.Contracts.Agent;
using Strata.Providers;

namespace Strata.Agent;

/// <summary>Servers between the engine's model and the agent protocol, both ways: the agent writes them, the control plane reads them.</summary>
public static class ServerMapping
{
    /// <summary>
    /// What a listing of servers says, in 32 hex digits (of its SHA-256): the same servers in the same states give the
    /// same digest, whatever their order.
    /// </summary>
    public static string Digest(IEnumerable<AgentServer> servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var server in servers.OrderBy(s => s.Id, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(server, AgentJsonContext.Default.AgentServer));
            hash.AppendData("\n"u8);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset().AsSpan(0, 16));
    }

    public static AgentServer ToWire(ServerInstance server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return new AgentServer
        {
            Id = server.Id, Name = server.Name, Deployment = server.Deployment, Tier = server.Tier, Zone = server.Zone,
            Address = server.Address, ImageId = server.ImageId, State = ToWire(server.State), ProcessId = server.ProcessId,
            ProcessStartTime = server.ProcessStartTime, LaunchedAt = server.LaunchedAt, ExitCode = server.ExitCode,
            Message = server.Message, RootPath = server.RootPath, LogPath = server.LogPath, ConfigPath = server.ConfigPath,
            Volumes = [.. server.Volumes.Select(v => new AgentVolumeAttachment(v.VolumeId, v.MountPath))], Ports = server.Ports,
            Cpu = server.Resources.Cpu, MemoryBytes = server.Resources.MemoryBytes,
        };
    }

    public static ServerInstance FromWire(AgentServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return new ServerInstance
        {
            Id = server.Id, Name = server.Name, Deployment = server.Deployment, Tier = server.Tier, Zone = server.Zone,
            Address = server.Address, ImageId = server.ImageId, State = FromWire(server.State), ProcessId = server.ProcessId,
            ProcessStartTime = server.ProcessStartTime, LaunchedAt = server.LaunchedAt, ExitCode = server.ExitCode,
            Message = server.Message, RootPath = server.RootPath, LogPath = server.LogPath, ConfigPath = server.ConfigPath,
            Volumes = [.. server.Volumes.Select(v => new VolumeAttachment(v.VolumeId, v.MountPath))], Ports = server.Ports,
            Resources = ResourcesOf(server.Cpu, server.MemoryBytes),
        };
    }

    /// <summary>The reservation a launch or listing carries; none when it carries nothing.</summary>
    public static ServerResources ResourcesOf(double cpu, long memoryBytes) =>
        cpu > 0 || memoryBytes > 0 ? new ServerResources(Math.Max(cpu, 0), Math.Max(memoryBytes, 0)) : ServerResources.None;

    public static IReadOnlyList<AgentVolumeAttachment> ToWire(IEnumerable<VolumeAttachment> volumes) =>
        [.. volumes.Select(v => new AgentVolumeAttachment(v.VolumeId, v.MountPath))];

    private static AgentServerState ToWire(ServerInstanceState state) => state switch
    {
        ServerInstanceState.Pending => AgentServerState.Pending,
        ServerInstanceState.Configuring => AgentServerState.Configuring,
        ServerInstanceState.Running => AgentServerState.Running,
        ServerInstanceState.Stopped => AgentServerState.Stopped,
        ServerInstanceState.Terminated => AgentServerState.Terminated,
        ServerInstanceState.Failed => AgentServerState.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "a server state the agent protocol has no name for"),
    };

    private static ServerInstanceState FromWire(AgentServerState state) => state switch
    {
        AgentServerState.Pending => ServerInstanceState.Pending,
        AgentServerState.Configuring => ServerInstanceState.Configuring,
        AgentServerState.Running => ServerInstanceState.Running,
        AgentServerState.Stopped => ServerInstanceState.Stopped,
        AgentServerState.Terminated => ServerInstanceState.Terminated,
        AgentServerState.Failed => ServerInstanceState.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "a server state this control plane does not know"),
    };
}
