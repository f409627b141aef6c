namespace Strata.ControlPlane.Api.V1;

/// <summary>What the REST API can ask of the deployments: apply, plan, inspect, scale, delete, read logs.</summary>
public interface IDeploymentService
{
    Task<ApplyResponse> ApplyAsync(string name, ApplyRequest request, CancellationToken cancellationToken);

    /// <summary>The plan for a spec against the stored state, as JSON and as text.</summary>
    Task<ApplyResponse> PlanAsync(ApplyRequest request, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeploymentSummaryDto>> ListAsync(CancellationToken cancellationToken);

    Task<DeploymentStatusDto> GetStatusAsync(string name, CancellationToken cancellationToken);

    Task DeleteAsync(string name, CancellationToken cancellationToken);

    Task ScaleAsync(string name, string tier, int desired, CancellationToken cancellationToken);

    /// <summary>Makes the previous apply desired again and rolls the changed tiers back to it.</summary>
    Task RollbackAsync(string name, CancellationToken cancellationToken);

    /// <summary>Lets a tier (or every tier) waiting on a canary roll on.</summary>
    Task PromoteAsync(string name, string? tier, CancellationToken cancellationToken);

    IAsyncEnumerable<string> ReadLogAsync(string name, string server, int tail, bool follow, CancellationToken cancellationToken);
}

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
