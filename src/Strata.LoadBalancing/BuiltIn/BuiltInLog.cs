using Microsoft.Extensions.Logging;

namespace Strata.LoadBalancing.BuiltIn;

internal static partial class BuiltInLog
{
    [LoggerMessage(101, LogLevel.Information, "Load balancer {Id}: started proxy process {ProcessId} on {Url}")]
    public static partial void Started(ILogger logger, string id, int processId, string? url);

    // Debug: every reconcile pass confirms the running process this way.
    [LoggerMessage(102, LogLevel.Debug, "Load balancer {Id}: adopted running proxy process {ProcessId} on {Url}")]
    public static partial void Adopted(ILogger logger, string id, int processId, string? url);

    [LoggerMessage(103, LogLevel.Error, "Load balancer {Id}: proxy failed to start: {Message}")]
    public static partial void StartFailed(ILogger logger, string id, string message);

    [LoggerMessage(104, LogLevel.Information, "Load balancer {Id}: stopped proxy process {ProcessId}")]
    public static partial void Stopped(ILogger logger, string id, int processId);

    [LoggerMessage(105, LogLevel.Warning, "Load balancer {Id}: proxy process {ProcessId} did not stop within {Timeout}; killing it")]
    public static partial void Killing(ILogger logger, string id, int processId, TimeSpan timeout);

    [LoggerMessage(106, LogLevel.Information, "Load balancer {Id}: definition changed; restarting proxy process {ProcessId}")]
    public static partial void Restarting(ILogger logger, string id, int processId);
}
