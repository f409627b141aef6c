namespace Strata.ControlPlane.Deployments;

// What the deployments, backups and access control refuse with; the API turns each into its status (404, 422, 409).

/// <summary>A request that names a deployment, tier or server that does not exist.</summary>
public sealed class NotFoundException(string message) : Exception(message);

/// <summary>A spec that does not load: every diagnostic, formatted <c>file:line:col: error: message</c>.</summary>
public sealed class InvalidSpecException(IReadOnlyList<string> errors)
    : Exception($"the spec is invalid ({errors.Count} error{(errors.Count == 1 ? "" : "s")})")
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>A request that conflicts with the deployment's state, such as an out-of-date saved plan.</summary>
public sealed class ConflictException(string message) : Exception(message);
