using Strata.Api.Contracts;

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
