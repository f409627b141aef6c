using System.Net;

namespace Strata.Cli.Client;

/// <summary>
/// An error answer from the control plane, with its status and, for specs, every diagnostic; or an answer that never
/// came whole (<see cref="Status"/> null), such as a stream the control plane broke off when it died.
/// </summary>
public sealed class ControlPlaneException(HttpStatusCode? status, string message, IReadOnlyList<string>? errors, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The status the control plane answered; null when its answer broke off or could not be read.</summary>
    public HttpStatusCode? Status { get; } = status;

    public IReadOnlyList<string> Errors { get; } = errors ?? [];

    public int ExitCode => Status switch
    {
        HttpStatusCode.UnprocessableEntity => ExitCodes.InvalidSpec,
        HttpStatusCode.NotFound => ExitCodes.NotFound,
        HttpStatusCode.Conflict => ExitCodes.Conflict,
        HttpStatusCode.BadRequest => ExitCodes.Usage,
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.AccessDenied,
        HttpStatusCode.BadGateway => ExitCodes.HostUnusable,
        _ => ExitCodes.ControlPlaneUnavailable,
    };
}
