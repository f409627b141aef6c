using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Strata.Api.Contracts;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Access;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Events;

namespace Strata.ControlPlane.Api.V1;

/// <summary>The <c>/api/v1</c> REST surface. Errors are RFC 7807 problems; streams are NDJSON with <c>?follow=true</c>.</summary>
public static class DeploymentEndpoints
{
    public static RouteGroupBuilder MapStrataApiV1(this IEndpointRouteBuilder routes, Func<ServerInfo> info, Action requestStop)
    {
        var api = routes.MapGroup("/api/v1");
        api.MapGet("/server", () => Results.Json(info(), ApiJsonContext.Default.ServerInfo)).RequireRole(TokenRole.Viewer);
        api.MapPost("/server/stop", () =>
        {
            requestStop();
            return Results.Accepted();
        }).RequireRole(TokenRole.Admin);

        api.MapGet("/deployments", async (IDeploymentService service, CancellationToken ct) =>
            Results.Json(await service.ListAsync(ct), ApiJsonContext.Default.IReadOnlyListDeploymentSummaryDto)).RequireRole(TokenRole.Viewer);
        api.MapGet("/deployments/{name}", async (string name, IDeploymentService service, CancellationToken ct) =>
            Results.Json(await service.GetStatusAsync(name, ct), ApiJsonContext.Default.DeploymentStatusDto)).RequireRole(TokenRole.Viewer);
        api.MapPut("/deployments/{name}", async (string name, HttpRequest request, IDeploymentService service, CancellationToken ct) =>
            Results.Json(await service.ApplyAsync(name, await ReadAsync(request, ct), ct), ApiJsonContext.Default.ApplyResponse)).RequireRole(TokenRole.Operator);
        api.MapPost("/plans", async (HttpRequest request, IDeploymentService service, CancellationToken ct) =>
            Results.Json(await service.PlanAsync(await ReadAsync(request, ct), ct), ApiJsonContext.Default.ApplyResponse)).RequireRole(TokenRole.Operator);
        api.MapDelete("/deployments/{name}", async (string name, IDeploymentService service, CancellationToken ct) =>
        {
            await service.DeleteAsync(name, ct);
            return Results.Accepted();
        }).RequireRole(TokenRole.Admin);
        api.MapPost("/deployments/{name}/tiers/{tier}/scale", async (string name, string tier, HttpRequest request, IDeploymentService service, CancellationToken ct) =>
        {
            var body = await request.ReadFromJsonAsync(ApiJsonContext.Default.ScaleRequest, ct) ?? throw new BadHttpRequestException("a body { \"desired\": N } is required");
            await service.ScaleAsync(name, tier, body.Desired, ct);
            return Results.Accepted();
        }).RequireRole(TokenRole.Operator);
        api.MapPost("/deployments/{name}/rollback", async (string name, IDeploymentService service, CancellationToken ct) =>
        {
            await service.RollbackAsync(name, ct);
            return Results.Accepted();
        }).RequireRole(TokenRole.Operator);
        api.MapPost("/deployments/{name}/promote", async (string name, string? tier, IDeploymentService service, CancellationToken ct) =>
        {
            await service.PromoteAsync(name, tier, ct);
            return Results.Accepted();
        }).RequireRole(TokenRole.Operator);
        api.MapGet("/deployments/{name}/events", StreamEventsAsync).RequireRole(TokenRole.Viewer);
        api.MapGet("/deployments/{name}/servers/{server}/logs", StreamLogAsync).RequireRole(TokenRole.Operator);
        return api;
    }

    private static async Task<ApplyRequest> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            var body = await request.ReadFromJsonAsync(ApiJsonContext.Default.ApplyRequest, ct).ConfigureAwait(false);
            return body ?? throw new BadHttpRequestException("a JSON body with specPath is required");
        }
        catch (JsonException ex)
        {
            throw new BadHttpRequestException($"the body is not valid JSON for this request: {ex.Message}");
        }
    }

    private static Task StreamEventsAsync(string name, long? after, bool? follow, HttpContext context, EventLog events, IHostApplicationLifetime lifetime, CancellationToken ct) =>
        StreamUntilStoppingAsync(context, lifetime, ct, async stream =>
        {
            await foreach (var e in events.ReadAsync(name, after ?? 0, follow ?? false, stream).ConfigureAwait(false))
            {
                await WriteLineAsync(context, JsonSerializer.Serialize(e, ApiJsonContext.Default.DeploymentEvent), stream).ConfigureAwait(false);
            }
        });

    private static Task StreamLogAsync(string name, string server, int? tail, bool? follow, HttpContext context, IDeploymentService service, IHostApplicationLifetime lifetime, CancellationToken ct) =>
        StreamUntilStoppingAsync(context, lifetime, ct, async stream =>
        {
            await foreach (var line in service.ReadLogAsync(name, server, tail ?? 100, follow ?? false, stream).ConfigureAwait(false))
            {
                await WriteLineAsync(context, JsonSerializer.Serialize(new LogLineDto(line), ApiJsonContext.Default.LogLineDto), stream).ConfigureAwait(false);
            }
        });

    /// <summary>
    /// Writes an NDJSON stream that ends, complete, when the control plane stops. The host waits for open requests
    /// before it exits (up to its 30 s shutdown timeout), so a followed stream that only ended with its client kept
    /// <c>strata server stop</c> waiting that long and then cut the follower off with a connection reset.
    /// </summary>
    private static async Task StreamUntilStoppingAsync(HttpContext context, IHostApplicationLifetime lifetime, CancellationToken ct, Func<CancellationToken, Task> write)
    {
        context.Response.ContentType = "application/x-ndjson";
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(ct, lifetime.ApplicationStopping);
        try
        {
            await write(stream.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // The control plane is stopping: the stream ends here and the follower sees its end.
        }
    }

    private static async Task WriteLineAsync(HttpContext context, string json, CancellationToken ct)
    {
        await context.Response.WriteAsync(json + "\n", ct).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Maps exceptions from the service to problems with the status code that fits.</summary>
    public static async Task WriteProblemAsync(HttpContext context, Exception error)
    {
        var (status, title, errors) = error switch
        {
            InvalidSpecException invalid => (StatusCodes.Status422UnprocessableEntity, "invalid spec", invalid.Errors),
            NotFoundException => (StatusCodes.Status404NotFound, "not found", null),
            ConflictException => (StatusCodes.Status409Conflict, "conflict", null),
            Providers.ProviderException => (StatusCodes.Status503ServiceUnavailable, "unavailable", null),
            BadHttpRequestException or ArgumentException => (StatusCodes.Status400BadRequest, "bad request", (IReadOnlyList<string>?)null),
            _ => (StatusCodes.Status500InternalServerError, "internal error", null),
        };
        context.Response.StatusCode = status;
        var problem = new ProblemDto { Title = title, Status = status, Detail = error.Message, Errors = errors };
        await context.Response.WriteAsJsonAsync(problem, ApiJsonContext.Default.ProblemDto).ConfigureAwait(false);
    }
}
