using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
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

/// <summary>Asks for a pin to <see cref="Server"/>; <see cref="TtlSeconds"/> defaults to an hour.</summary>
public sealed record PinRequest
{
    public string Server { get; init; } = "";

    public long? TtlSeconds { get; init; }

    /// <summary>Whether the pin may reach the server while it is out of rotation (booting, unhealthy, draining).</summary>
    public bool AnyState { get; init; }

    /// <summary>The load balancer, needed only when several send to the server's tier.</summary>
    public string? LoadBalancer { get; init; }
}

/// <summary>A signed pin: send <see cref="Value"/> in the <see cref="Header"/> header or a cookie of that name.</summary>
public sealed record PinDto(string LoadBalancer, string Server, string Header, string Value, DateTimeOffset ExpiresAt, bool AnyState);
