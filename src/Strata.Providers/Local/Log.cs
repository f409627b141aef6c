using Microsoft.Extensions.Logging;

namespace Strata.Providers.Local;

internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Registered image {ImageId} from {Folder}")]
    public static partial void ImageRegistered(ILogger logger, string imageId, string folder);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Server {ServerId} running at {Address} as process {Pid}")]
    public static partial void ServerStarted(ILogger logger, string serverId, string address, int pid);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Server {ServerId} failed to launch: {Reason}")]
    public static partial void ServerFailed(ILogger logger, string serverId, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Adopted server {ServerId} process {Pid} left by an interrupted launch")]
    public static partial void ServerAdopted(ILogger logger, string serverId, int pid);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Resuming interrupted launch of server {ServerId} (was {State})")]
    public static partial void LaunchResumed(ILogger logger, string serverId, ServerInstanceState state);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Terminated server {ServerId}")]
    public static partial void ServerTerminated(ILogger logger, string serverId);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "Rotated log {LogPath}")]
    public static partial void LogRotated(ILogger logger, string logPath);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Fenced server {ServerId}: none of its processes is left")]
    public static partial void ServerFenced(ILogger logger, string serverId);
}
