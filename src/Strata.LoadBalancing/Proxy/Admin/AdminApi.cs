using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.LoadBalancing.Proxy.Forwarding;
using Strata.LoadBalancing.Proxy.Membership;

namespace Strata.LoadBalancing.Proxy.Admin;

/// <summary>The authenticated admin endpoint: membership, statistics and a liveness probe.</summary>
internal static class AdminApi
{
    public static void Map(WebApplication app, ProxyConfig config, MemberTable table, MembershipStore store, RequestForwarder forwarder, OpenConnections connections)
    {
        var expected = Encoding.UTF8.GetBytes($"Bearer {config.AdminToken}");
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Strata.LoadBalancing.Proxy.Admin");
        app.Use((context, next) => IsAuthorized(context, expected) ? next(context) : RejectAsync(context, logger));

        var group = app.MapGroup("");
        group.MapGet("/healthz", () => TypedResults.Json(
            new HealthDocument("ok", config.Id, Environment.ProcessId), LoadBalancingJsonContext.Default.HealthDocument));
        group.MapGet("/members", () => TypedResults.Json(
            new MembersDocument { Members = table.Describe() }, LoadBalancingJsonContext.Default.MembersDocument));
        group.MapPut("/members", (HttpRequest request) => PutMembersAsync(request, store));
        group.MapGet("/stats", (TimeProvider time) => TypedResults.Json(
            Statistics(config.Id, table.Current, forwarder, connections, time), LoadBalancingJsonContext.Default.LoadBalancerStats));
    }

    private static bool IsAuthorized(HttpContext context, byte[] expected)
    {
        var header = context.Request.Headers.Authorization;
        return header.Count == 1 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header.ToString()), expected);
    }

    private static Task RejectAsync(HttpContext context, ILogger logger)
    {
        ProxyLog.Unauthorized(logger, context.Request.Path);
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(
            "A valid admin token is required (Authorization: Bearer TOKEN).", statusCode: StatusCodes.Status401Unauthorized)
            .ExecuteAsync(context);
    }

    private static async Task<IResult> PutMembersAsync(HttpRequest request, MembershipStore store)
    {
        MembersDocument? document;
        try
        {
            document = await JsonSerializer.DeserializeAsync(
                request.Body, LoadBalancingJsonContext.Default.MembersDocument, request.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return TypedResults.Problem($"The body is not a member list: {ex.Message}", statusCode: StatusCodes.Status400BadRequest);
        }

        var errors = MemberDocument.ValidateList(document?.Members);
        if (errors.Count > 0)
        {
            return TypedResults.Problem(string.Join("; ", errors), statusCode: StatusCodes.Status400BadRequest, title: "Invalid member list");
        }

        var members = await store.ApplyAsync(document!.Members, request.HttpContext.RequestAborted).ConfigureAwait(false);
        return TypedResults.Json(new MembersDocument { Members = members }, LoadBalancingJsonContext.Default.MembersDocument);
    }

    private static LoadBalancerStats Statistics(
        string id, BackendPool pool, RequestForwarder forwarder, OpenConnections connections, TimeProvider time) => new()
    {
        Id = id,
        Timestamp = time.GetUtcNow(),
        NoMemberResponses = forwarder.NoMemberResponses,
        OpenConnections = connections.Clients,
        Members =
        [
            .. pool.Active.Select(b => MemberStatistics(b, MemberState.Active, connections)),
            .. pool.Draining.Select(d => MemberStatistics(d.Backend, MemberState.Draining, connections)),
            .. pool.Standby.Select(b => MemberStatistics(b, MemberState.Standby, connections)),
        ],
    };

    private static MemberStats MemberStatistics(Backend backend, MemberState state, OpenConnections connections) => new()
    {
        OpenConnections = connections.To(backend.Address, backend.Port),
        Name = backend.Name,
        State = state,
        InFlight = backend.InFlight,
        Requests = backend.Requests,
        Errors = backend.Errors,
        Retried = backend.Retried,
        Ejected = backend.IsEjected,
        LatencyP50 = backend.Latency.Percentile(0.50),
        LatencyP99 = backend.Latency.Percentile(0.99),
    };
}
