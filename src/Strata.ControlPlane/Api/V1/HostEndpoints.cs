using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Api.Contracts;
using Strata.ControlPlane.Access;
using Strata.ControlPlane.Hosts;
using Strata.Providers.Hosts.Ssh;

namespace Strata.ControlPlane.Api.V1;

/// <summary>
/// <c>/api/v1/hosts</c>: the fleet. Listing is for viewers; adding, draining, resuming and removing a host decide what
/// machines Strata logs in to and runs servers on, so they are for admins.
/// </summary>
public static class HostEndpoints
{
    /// <summary>The status of an answer to a host that could not be reached, trusted, logged in to, or its agent started.</summary>
    public const int HostUnusableStatus = StatusCodes.Status502BadGateway;

    public static RouteGroupBuilder MapStrataHostsApiV1(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1/hosts");
        api.MapGet("", ListAsync).RequireRole(TokenRole.Viewer);
        api.MapPost("", AddAsync).RequireRole(TokenRole.Admin);
        api.MapPost("/{host}/drain", (string host, HostService hosts, CancellationToken ct) => MarkAsync(host, draining: true, hosts, ct)).RequireRole(TokenRole.Admin);
        api.MapPost("/{host}/resume", (string host, HostService hosts, CancellationToken ct) => MarkAsync(host, draining: false, hosts, ct)).RequireRole(TokenRole.Admin);
        api.MapDelete("/{host}", RemoveAsync).RequireRole(TokenRole.Admin);
        return api;
    }

    private static async Task<IResult> ListAsync(HostService hosts, CancellationToken ct) =>
        Results.Json(await hosts.ListAsync(ct).ConfigureAwait(false), HostJsonContext.Default.IReadOnlyListHostDto);

    private static async Task<IResult> AddAsync(HttpRequest request, HostService hosts, CancellationToken ct)
    {
        HostAddRequest body;
        try
        {
            body = await request.ReadFromJsonAsync(HostJsonContext.Default.HostAddRequest, ct).ConfigureAwait(false)
                ?? throw new BadHttpRequestException("a body { \"name\": N, \"ssh\": \"USER@ADDRESS[:PORT]\" } is required");
        }
        catch (JsonException ex)
        {
            throw new BadHttpRequestException($"the body is not a valid host request: {ex.Message}");
        }

        try
        {
            var added = await hosts.AddAsync(body, ct).ConfigureAwait(false);
            return Results.Json(added, HostJsonContext.Default.HostDto, statusCode: StatusCodes.Status201Created);
        }
        catch (HostConnectException ex)
        {
            var problem = new ProblemDto { Title = "host unusable", Status = HostUnusableStatus, Detail = ex.Message };
            return Results.Json(problem, ApiJsonContext.Default.ProblemDto, statusCode: HostUnusableStatus);
        }
    }

    private static async Task<IResult> MarkAsync(string host, bool draining, HostService hosts, CancellationToken ct) =>
        Results.Json(await hosts.SetDrainingAsync(host, draining, ct).ConfigureAwait(false), HostJsonContext.Default.HostDto);

    /// <summary><c>DELETE /api/v1/hosts/{host}[?force=true]</c>: refused (409) while servers run there, unless forced.</summary>
    private static async Task<IResult> RemoveAsync(string host, bool? force, HostService hosts, CancellationToken ct)
    {
        await hosts.RemoveAsync(host, force ?? false, ct).ConfigureAwait(false);
        return Results.NoContent();
    }
}
