namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Whether the control plane can still reach where a server runs. A server on a host whose agent has gone silent may
/// still be listed as running (its last listing stands until the host is lost), but nothing should be sent to it:
/// load balancers take it out of rotation at once instead of waiting for its health checks to fail.
/// </summary>
public interface IServerReach
{
    /// <summary>Why the server cannot be reached now (e.g. "host h2 is unreachable: …"), or null when it can.</summary>
    string? WhyUnreachable(string serverId);

    /// <summary>
    /// Why a server that no listing shows may still run (e.g. a host not heard from since the control plane started
    /// may hold it), or null when a server not listed is not running anywhere.
    /// </summary>
    string? WhyUnaccounted(string serverId);

    /// <summary>The host the server runs on, or null when it runs on the control plane's machine (or is not known).</summary>
    string? HostOf(string serverId) => null;
}

/// <summary>The control plane's machine alone: every server it runs is reachable while it runs.</summary>
internal sealed class LocalReach : IServerReach
{
    public string? WhyUnreachable(string serverId) => null;

    public string? WhyUnaccounted(string serverId) => null;
}
