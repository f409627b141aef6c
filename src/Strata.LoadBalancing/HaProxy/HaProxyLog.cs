using Microsoft.Extensions.Logging;

namespace Strata.LoadBalancing.HaProxy;

internal static partial class HaProxyLog
{
    [LoggerMessage(201, LogLevel.Information, "Load balancer {Id}: started haproxy process {ProcessId} on {Url} with {MemberCount} members")]
    public static partial void Started(ILogger logger, string id, int processId, string url, int memberCount);

    // Debug: every reconcile pass confirms the running process this way.
    [LoggerMessage(202, LogLevel.Debug, "Load balancer {Id}: adopted running haproxy process {ProcessId} on {Url}")]
    public static partial void Adopted(ILogger logger, string id, int processId, string url);

    [LoggerMessage(203, LogLevel.Error, "Load balancer {Id}: haproxy failed to start: {Message}")]
    public static partial void StartFailed(ILogger logger, string id, string message);

    [LoggerMessage(204, LogLevel.Information, "Load balancer {Id}: stopped haproxy process {ProcessId}")]
    public static partial void Stopped(ILogger logger, string id, int processId);

    [LoggerMessage(205, LogLevel.Warning, "Load balancer {Id}: haproxy process {ProcessId} is gone or changed; restarting it with its {MemberCount} members")]
    public static partial void Restarting(ILogger logger, string id, int processId, int memberCount);

    [LoggerMessage(206, LogLevel.Information, "Load balancer {Id}: reloaded haproxy as process {ProcessId} with {Slots} server slots, as members needed more")]
    public static partial void Grown(ILogger logger, string id, int slots, int processId);
}
