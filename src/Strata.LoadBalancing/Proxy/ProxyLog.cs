using Microsoft.Extensions.Logging;

namespace Strata.LoadBalancing.Proxy;

internal static partial class ProxyLog
{
    [LoggerMessage(1, LogLevel.Information, "Load balancer {Id} listening on {Url}, admin on {AdminUrl}, {Algorithm}, {MemberCount} members")]
    public static partial void Started(ILogger logger, string id, string url, string adminUrl, string algorithm, int memberCount);

    [LoggerMessage(2, LogLevel.Error, "Load balancer {Id} cannot start: {Reason}")]
    public static partial void StartFailed(ILogger logger, string id, string reason);

    [LoggerMessage(3, LogLevel.Information, "Members set: {Active} active, {Draining} draining (version {Version})")]
    public static partial void MembersSet(ILogger logger, int active, int draining, long version);

    [LoggerMessage(4, LogLevel.Information, "Member {Name} drained and removed")]
    public static partial void MemberRemoved(ILogger logger, string name);

    [LoggerMessage(5, LogLevel.Warning, "Member {Name} at {Origin} started failing")]
    public static partial void MemberFailing(ILogger logger, string name, string origin);

    [LoggerMessage(6, LogLevel.Debug, "Member {Name} failed a request: {Reason}")]
    public static partial void ForwardFailed(ILogger logger, string name, string reason);

    [LoggerMessage(7, LogLevel.Debug, "Member {Name} refused the connection; retrying on {Next}")]
    public static partial void Retrying(ILogger logger, string name, string next);

    [LoggerMessage(8, LogLevel.Information, "Load balancer {Id} stopping")]
    public static partial void Stopping(ILogger logger, string id);

    [LoggerMessage(9, LogLevel.Warning, "Rejected admin request to {Path} without a valid token")]
    public static partial void Unauthorized(ILogger logger, string path);

    [LoggerMessage(10, LogLevel.Information, "Member {Name} failed before answering ({Error}); retry {Attempt} on the same member")]
    public static partial void RetryingSame(ILogger logger, string name, string error, int attempt);
}
