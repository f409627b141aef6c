using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strata.LoadBalancing.Proxy.Membership;
using Yarp.ReverseProxy.Forwarder;

namespace Strata.LoadBalancing.Proxy.Forwarding;

/// <summary>How one attempt ended, as far as sending the request again is concerned.</summary>
internal enum Outcome
{
    Completed,

    /// <summary>No connection was made: nothing reached the member, so any request may be sent again.</summary>
    NotSent,

    /// <summary>The member failed before answering and before any body was sent; it may have seen the request.</summary>
    ConnectFailed,
}

/// <summary>An attempt's outcome, whether it counts against the member's passive health, and the transport's reason.</summary>
internal readonly record struct AttemptResult(Outcome Outcome, bool MemberFailed, HttpRequestError Error = HttpRequestError.Unknown)
{
    public static AttemptResult Answered(int? status) => new(Outcome.Completed, CountsAgainstMember(status));

    /// <summary>
    /// Passive health counts answers that say the server (or what stands behind it) is unavailable: 502, 503 and 504.
    /// An application's 500 is an answer about one request, and ejecting the server for it would turn one bad request
    /// into an outage for everyone.
    /// </summary>
    private static bool CountsAgainstMember(int? status) =>
        status is StatusCodes.Status502BadGateway or StatusCodes.Status503ServiceUnavailable or StatusCodes.Status504GatewayTimeout;
}

/// <summary>
/// Turns what YARP's forwarder reports about a failed attempt into Strata's rules: which failures may be retried,
/// which count against the member, and what the client is told (never an address or an exception's text).
/// </summary>
internal static class ForwardingFailures
{
    public static async ValueTask<AttemptResult> HandleAsync(
        HttpContext context, Backend backend, MemberExchange exchange, ForwarderError error, bool bodyStarted, ILogger logger)
    {
        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        if (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: that says nothing about the member.
            return new AttemptResult(Outcome.Completed, MemberFailed: false);
        }

        if (exchange.HeadersTimedOut || error == ForwarderError.RequestTimedOut)
        {
            ProxyLog.ForwardFailed(logger, backend.Name, "no response headers in time");
            await WriteErrorAsync(context, StatusCodes.Status504GatewayTimeout, "the server did not answer in time").ConfigureAwait(false);
            return new AttemptResult(Outcome.Completed, MemberFailed: true);
        }

        if (IsClientSide(error))
        {
            // The client broke off its side (or left a WebSocket idle): that says nothing about the member.
            if (error == ForwarderError.RequestBodyClient)
            {
                await WriteErrorAsync(context, context.Response.StatusCode, "the request body could not be read").ConfigureAwait(false);
            }

            return new AttemptResult(Outcome.Completed, MemberFailed: false);
        }

        if (error == ForwarderError.Request && !bodyStarted && FindRequestError(exception) is { } reason)
        {
            // No response arrived and no body was read: the member refused, reset or died before answering (a kill -9
            // mid-request shows as any of these), so an idempotent request is safe to send again. A connection that was
            // never made carried nothing, so then any request is. The caller answers when it does not retry.
            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
            return new AttemptResult(reason == HttpRequestError.ConnectionError ? Outcome.NotSent : Outcome.ConnectFailed, MemberFailed: true, reason);
        }

        // The exception text stays in the proxy's log: it names addresses and internals a client must not see.
        ProxyLog.ForwardFailed(logger, backend.Name, $"{error}: {exception?.Message}");
        var brokeOff = error is ForwarderError.ResponseBodyDestination or ForwarderError.UpgradeResponseDestination or ForwarderError.UpgradeRequestDestination;
        await WriteErrorAsync(context, StatusCodes.Status502BadGateway, brokeOff ? "the server broke off the response" : "the server failed to answer")
            .ConfigureAwait(false);
        return new AttemptResult(Outcome.Completed, MemberFailed: error != ForwarderError.RequestCreation);
    }

    /// <summary>
    /// Answers with a short plain-text error, or cuts the connection when the response already started. A client that
    /// went away meanwhile is not told anything, and that is not a failure: the caller's accounting of the member (and
    /// of the request) must not depend on whether the answer could still be written.
    /// </summary>
    public static async Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            // Headers already went out: the only honest signal left is to cut the connection.
            context.Abort();
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        try
        {
            await context.Response.WriteAsync(message + "\n", context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client reset its connection between the failure and this answer (it broke off its body, say).
        }
    }

    /// <summary>Failures on the client's side of the exchange, and a WebSocket left idle past the idle timeout.</summary>
    private static bool IsClientSide(ForwarderError error) => error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled
        or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient or ForwarderError.ResponseBodyCanceled
        or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseClient or ForwarderError.UpgradeRequestCanceled
        or ForwarderError.UpgradeResponseCanceled or ForwarderError.UpgradeActivityTimeout;

    private static HttpRequestError? FindRequestError(Exception? exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException request)
            {
                return request.HttpRequestError;
            }
        }

        return null;
    }
}
