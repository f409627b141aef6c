using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Strata.ControlPlane.Access;

/// <summary>
/// Runs after routing: every endpoint needs a valid token except one marked <see cref="AnonymousEndpoint"/>, and a
/// request that matched no endpoint needs one too, so neither a path's spelling (case, <c>%61</c>, <c>//</c>, a
/// trailing <c>/</c>) nor a route added later can slip past. The token's role must include the endpoint's
/// <see cref="RequiredRole"/> (admin when it declares none). Every state-changing request is written to the audit log.
/// </summary>
internal sealed partial class AccessMiddleware(TokenAuthenticator authenticator, IAccessStore store, TimeProvider time, ILogger<AccessMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<AnonymousEndpoint>() is not null && HttpMethods.IsGet(context.Request.Method))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        ApiToken? token = null;
        try
        {
            var (found, refusal) = await authenticator.AuthenticateAsync(BearerOf(context.Request), context.RequestAborted).ConfigureAwait(false);
            token = found;
            if (token is null)
            {
                await HostCheck.RefuseAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", refusal!).ConfigureAwait(false);
                return;
            }

            var required = endpoint?.Metadata.GetMetadata<RequiredRole>()?.Role ?? TokenRole.Admin;
            if (!token.Role.Includes(required))
            {
                await HostCheck.RefuseAsync(context, StatusCodes.Status403Forbidden, "forbidden",
                    $"this needs the {required.Name()} role; the token '{token.Name}' has {token.Role.Name()}").ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        }
        finally
        {
            if (ChangesState(context.Request.Method))
            {
                await AuditAsync(context, endpoint, token).ConfigureAwait(false);
            }
        }
    }

    private static string? BearerOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }

    private static bool ChangesState(string method) => !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));

    private async Task AuditAsync(HttpContext context, Endpoint? endpoint, ApiToken? token)
    {
        // The route template and the deployment's name only: the path as sent, the query and the body can carry values.
        var entry = new AuditEntry
        {
            Time = time.GetUtcNow(),
            Token = token?.Name,
            Role = token?.Role,
            Remote = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}",
            Method = context.Request.Method,
            Route = (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)",
            Deployment = endpoint is RouteEndpoint route && route.RoutePattern.GetParameter("name") is not null
                ? context.Request.RouteValues["name"] as string
                : null,
            Status = context.Response.StatusCode,
        };
        try
        {
            await store.AppendAuditAsync(entry, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            LogAuditFailed(logger, ex, entry.Method, entry.Route);
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Error, Message = "Could not write the audit entry of {Method} {Route}")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception, string method, string route);
}
