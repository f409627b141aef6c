using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Api.Contracts;
using Strata.ControlPlane.Access;
using Strata.ControlPlane.Deployments;
using Strata.LoadBalancing.Pinning;

namespace Strata.ControlPlane.Api.V1;

/// <summary>
/// <c>POST /api/v1/deployments/{name}/pins</c>: a signed QA pin for one server behind a load balancer. Pinning
/// sends real traffic to a chosen server, possibly one out of rotation: an operator's privilege.
/// </summary>
public static class PinEndpoints
{
    public static RouteHandlerBuilder MapStrataPinsApiV1(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/api/v1/deployments/{name}/pins", IssueAsync).RequireRole(TokenRole.Operator);

    private static async Task<IResult> IssueAsync(string name, HttpRequest request, DeploymentRegistry registry, TimeProvider time, CancellationToken ct)
    {
        var body = await request.ReadFromJsonAsync(ApiJsonContext.Default.PinRequest, ct).ConfigureAwait(false)
            ?? throw new BadHttpRequestException("a body { \"server\": \"…\" } is required");
        if (string.IsNullOrWhiteSpace(body.Server))
        {
            throw new BadHttpRequestException("server is required");
        }

        var runtime = registry.Find(name) is { IsDeleting: false } found ? found : throw new NotFoundException($"deployment '{name}' does not exist");
        var ttl = body.TtlSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        var pin = ServerPins.Issue(runtime, body.Server, body.LoadBalancer, ttl, body.AnyState, time.GetUtcNow());
        return Results.Json(
            new PinDto(pin.LoadBalancer, pin.Server, ServerPin.Header, pin.Value, pin.ExpiresAt, pin.AnyState), ApiJsonContext.Default.PinDto);
    }
}
