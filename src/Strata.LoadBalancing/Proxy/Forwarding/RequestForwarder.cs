using System.Net;
using System.IO.Pipelines;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Strata.LoadBalancing.Pinning;
using Strata.LoadBalancing.Proxy.Membership;

namespace Strata.LoadBalancing.Proxy.Forwarding;

/// <summary>
/// The proxy's hot path: picks a member, streams the request to it and its response back, without buffering bodies
/// and over pooled connections. A request that failed before any answer and before its body was sent is tried again
/// on the same member after a short backoff, then on up to <see cref="MaxRetries"/> others, when it is idempotent or
/// its connection was never made; a request the member may have acted on is never sent twice. With sticky sessions a request naming an active member in its
/// <c>STRATA_STICKY</c> cookie goes there; any other gets the cookie naming the member that answered. A request
/// carrying a signed pin goes to the server it names, and one carrying a pin that is not valid is refused with 421.
/// </summary>
internal sealed class RequestForwarder(
    MemberTable members, IBackendSelector selector, UpstreamInvokers invokers, ForwardingSettings settings, TimeProvider timeProvider,
    ILogger<RequestForwarder> logger)
{
    private readonly PinReader _pins = new(settings.PinKey, timeProvider);
    private long _noMemberResponses;

    private enum Outcome
    {
        Completed,

        /// <summary>No connection was made: nothing reached the member, so any request may be sent again.</summary>
        NotSent,

        /// <summary>The member failed before answering and before any body was sent; it may have seen the request.</summary>
        ConnectFailed,
    }

    /// <summary>How many other servers a request is tried on when its server fails before answering.</summary>
    public const int MaxRetries = 2;

    /// <summary>
    /// How many times a request is tried again on the same server, after <see cref="SameServerBackoff"/> doubling each
    /// time, before another server: a server that closes each connection after one response and has a small listen
    /// backlog refuses or resets a connection now and then while it is perfectly healthy (as HAProxy's
    /// <c>retries 3</c>).
    /// </summary>
    public const int SameServerRetries = 3;

    /// <summary>
    /// The first same-server backoff after a refused connection (nothing listens: the server is gone or restarting);
    /// the three together wait 35 ms, so a dead server's requests move on at once and passive health sees it soon.
    /// </summary>
    public static readonly TimeSpan SameServerBackoff = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// The first same-server backoff after a server took the connection and closed or reset it without answering
    /// (it crashed, restarted or shed load): the three together wait 1.75 s, as HAProxy waits up to a second between
    /// its retries so that a restarting server is not hammered.
    /// </summary>
    public static readonly TimeSpan StalledServerBackoff = TimeSpan.FromMilliseconds(250);

    public long NoMemberResponses => Interlocked.Read(ref _noMemberResponses);

    public async Task ForwardAsync(HttpContext context)
    {
        var pool = members.Current;
        var pin = _pins.Read(context);
        if (pin.Present && pin.Claim is null)
        {
            await WriteErrorAsync(context, StatusCodes.Status421MisdirectedRequest, $"the {ServerPin.Header} pin is not valid or has expired").ConfigureAwait(false);
            return;
        }

        if (context.Request.ContentLength > settings.MaxRequestBodyBytes)
        {
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "the request body is too large").ConfigureAwait(false);
            return;
        }

        var pinned = pin.Claim;
        var stuck = pinned is null && settings.Sticky ? StuckTo(pool, context) : null;
        var backend = pinned is not null ? pool.FindPinned(pinned.Server, pinned.AnyState) : stuck ?? Choose(pool, context);
        if (backend is null)
        {
            await RejectAsync(context, pinned).ConfigureAwait(false);
            return;
        }

        // Only a balanced request sets the cookie: a pinned one must not move the client's sticky member.
        var setCookie = settings.Sticky && pinned is null && stuck is null;
        var idempotent = IsIdempotent(context.Request.Method);
        var outcome = await SendWithRetriesAsync(context, backend, setCookie, idempotent).ConfigureAwait(false);
        // Two servers may die at once (a zone, a bad rollout): a request that may be sent again tries up to MaxRetries others.
        var first = backend;
        for (var retry = 0; retry < MaxRetries && MayResend(outcome, idempotent) && pinned is null; retry++)
        {
            if (pool.NextAfter(backend) is not { } next || next == first)
            {
                break;
            }

            backend.CountRetry();
            ProxyLog.Retrying(logger, backend.Name, next.Name);
            backend = next;
            outcome = await SendWithRetriesAsync(context, backend, settings.Sticky, idempotent).ConfigureAwait(false);
        }

        if (outcome != Outcome.Completed)
        {
            await WriteErrorAsync(context, StatusCodes.Status502BadGateway, "the server is unreachable").ConfigureAwait(false);
        }
    }

    /// <summary>Sends to one member, trying it again after a short backoff while it fails before answering.</summary>
    private async Task<Outcome> SendWithRetriesAsync(HttpContext context, Backend backend, bool setCookie, bool idempotent)
    {
        for (var attempt = 1; ; attempt++)
        {
            var last = attempt > SameServerRetries;
            var (outcome, error) = await TrySendAsync(context, backend, setCookie, idempotent, last).ConfigureAwait(false);
            if (last || !MayResend(outcome, idempotent))
            {
                return outcome;
            }

            ProxyLog.RetryingSame(logger, backend.Name, error.ToString(), attempt);
            var backoff = error == HttpRequestError.ConnectionError ? SameServerBackoff : StalledServerBackoff;
            await Task.Delay(backoff * (1 << (attempt - 1)), timeProvider, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static bool MayResend(Outcome outcome, bool idempotent) =>
        outcome == Outcome.NotSent || (outcome == Outcome.ConnectFailed && idempotent);

    private Backend? Choose(BackendPool pool, HttpContext context)
    {
        if (pool.Active.Length == 0)
        {
            return null;
        }

        // Passive health: skip a member whose live requests keep failing; when all do, trying one beats a 503.
        var chosen = selector.Select(pool, context);
        return chosen.IsEjected ? pool.NextAfter(chosen) ?? chosen : chosen;
    }

    /// <summary>The active member the sticky cookie names, unless passive health took it out of rotation.</summary>
    private static Backend? StuckTo(BackendPool pool, HttpContext context) =>
        context.Request.Headers.Cookie.Count > 0 && context.Request.Cookies.TryGetValue(ProxyHeaders.StickyCookie, out var name)
            && pool.FindActive(name) is { IsEjected: false } backend
            ? backend
            : null;

    private Task RejectAsync(HttpContext context, PinClaim? pinned)
    {
        if (pinned is null)
        {
            Interlocked.Increment(ref _noMemberResponses);
            return WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "no healthy servers");
        }

        // The pin's holder knows the name it carries; nothing else about the membership is told.
        return WriteErrorAsync(context, StatusCodes.Status421MisdirectedRequest, $"the server named by the {ServerPin.Header} pin is not available");
    }

    /// <param name="lastTry">False when a failure before the answer will be retried on this member: it then does not count
    /// against passive health, which sees only failures that persist.</param>
    private async Task<(Outcome Outcome, HttpRequestError Error)> TrySendAsync(HttpContext context, Backend backend, bool setCookie, bool idempotent, bool lastTry)
    {
        backend.Enter();
        var started = timeProvider.GetTimestamp();
        var failed = true;
        var outcome = Outcome.Completed;
        try
        {
            var body = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
                ? new RequestBodyContent(context.Request.Body)
                : null;
            using var request = CreateRequest(context, backend, body);
            HttpResponseMessage response;
            using (var headersDue = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted))
            {
                headersDue.CancelAfter(settings.ResponseHeaderTimeout);
                try
                {
                    response = await invokers.For(backend).SendAsync(request, headersDue.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (body is { ClientFailed: true })
                {
                    // The client's body broke off or was refused: that says nothing about the member.
                    failed = false;
                    await WriteErrorAsync(context, ClientBodyStatus(ex), "the request body could not be read").ConfigureAwait(false);
                    return (Outcome.Completed, HttpRequestError.Unknown);
                }
                catch (HttpRequestException ex) when (body is not { Started: true })
                {
                    // No response arrived and no body was sent: the member refused, reset or died before answering (a
                    // kill -9 mid-request shows as any of these), so an idempotent request is safe to send again. A
                    // connection that was never made carried nothing, so then any request is.
                    outcome = ex.HttpRequestError == HttpRequestError.ConnectionError ? Outcome.NotSent : Outcome.ConnectFailed;
                    return (outcome, ex.HttpRequestError);
                }
                catch (OperationCanceledException) when (headersDue.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
                {
                    ProxyLog.ForwardFailed(logger, backend.Name, "no response headers in time");
                    await WriteErrorAsync(context, StatusCodes.Status504GatewayTimeout, "the server did not answer in time").ConfigureAwait(false);
                    return (Outcome.Completed, HttpRequestError.Unknown);
                }
                catch (Exception ex) when (IsMemberFailure(ex, context))
                {
                    // The exception text stays in the proxy's log: it names addresses and internals a client must not see.
                    ProxyLog.ForwardFailed(logger, backend.Name, ex.Message);
                    await WriteErrorAsync(context, StatusCodes.Status502BadGateway, "the server failed to answer").ConfigureAwait(false);
                    return (Outcome.Completed, HttpRequestError.Unknown);
                }
            }

            using (response)
            {
                UpstreamInvokers.Observe(backend, response);
                failed = CountsAgainstMember((int)response.StatusCode);
                failed |= !await CopyResponseAsync(context, response, backend, setCookie).ConfigureAwait(false);
            }

            return (Outcome.Completed, HttpRequestError.Unknown);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; that says nothing about the member.
            failed = false;
            return (Outcome.Completed, HttpRequestError.Unknown);
        }
        finally
        {
            var elapsed = (long)timeProvider.GetElapsedTime(started).TotalMicroseconds;
            if (!lastTry && MayResend(outcome, idempotent))
            {
                backend.ExitForRetry();
            }
            else if (backend.Exit(elapsed, failed))
            {
                ProxyLog.MemberFailing(logger, backend.Name, backend.Origin);
            }
        }
    }

    /// <summary>
    /// Passive health counts answers that say the server (or what stands behind it) is unavailable: 502, 503 and 504.
    /// An application's 500 is an answer about one request, and ejecting the server for it would turn one bad request
    /// into an outage for everyone.
    /// </summary>
    private static bool CountsAgainstMember(int status) =>
        status is StatusCodes.Status502BadGateway or StatusCodes.Status503ServiceUnavailable or StatusCodes.Status504GatewayTimeout;

    private static int ClientBodyStatus(Exception ex)
    {
        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is BadHttpRequestException bad)
            {
                return bad.StatusCode;
            }
        }

        return StatusCodes.Status400BadRequest;
    }

    /// <summary>Copies status, headers and the streamed body; false when the member broke off the response.</summary>
    private async Task<bool> CopyResponseAsync(HttpContext context, HttpResponseMessage response, Backend backend, bool setCookie)
    {
        var target = context.Response;
        target.StatusCode = (int)response.StatusCode;
        CopyResponseHeaders(response.Headers, target.Headers);
        CopyResponseHeaders(response.Content.Headers, target.Headers);
        if (setCookie)
        {
            target.Headers.Append(HeaderNames.SetCookie, context.Request.IsHttps ? backend.SecureStickyCookie : backend.StickyCookie);
        }

        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            var source = await response.Content.ReadAsStreamAsync(context.RequestAborted).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                await source.CopyToAsync(target.BodyWriter, context.RequestAborted).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception ex) when (IsMemberFailure(ex, context))
        {
            ProxyLog.ForwardFailed(logger, backend.Name, ex.Message);
            await WriteErrorAsync(context, StatusCodes.Status502BadGateway, $"server {backend.Name} broke off the response").ConfigureAwait(false);
            return false;
        }
    }

    private static HttpRequestMessage CreateRequest(HttpContext context, Backend backend, HttpContent? body)
    {
        var incoming = context.Request;
        var request = new HttpRequestMessage(HttpMethod.Parse(incoming.Method), new Uri(backend.Origin + Target(context), UriKind.Absolute))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = body,
        };
        CopyRequestHeaders(incoming.Headers, request);
        if (PinReader.MayCarryPin(incoming.Headers.Cookie))
        {
            // The pin is for the load balancer; a server (or whoever reads its logs) must not be able to replay it.
            request.Headers.Remove(HeaderNames.Cookie);
            if (PinReader.CookieWithoutPin(incoming.Headers.Cookie) is { } rest)
            {
                request.Headers.TryAddWithoutValidation(HeaderNames.Cookie, rest);
            }
        }

        var headers = request.Headers;
        headers.TryAddWithoutValidation(ProxyHeaders.ForwardedFor, ProxyHeaders.ClientAddress(context));
        headers.TryAddWithoutValidation(ProxyHeaders.ForwardedProto, incoming.Scheme);
        if (incoming.Host.HasValue)
        {
            headers.TryAddWithoutValidation(ProxyHeaders.ForwardedHost, incoming.Host.Value);
        }

        return request;
    }

    /// <summary>The request target as the client sent it, so percent-encoding reaches the member unchanged.</summary>
    private static string Target(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        return raw is { Length: > 0 } && raw[0] == '/'
            ? raw
            : (context.Request.PathBase + context.Request.Path).ToUriComponent() + context.Request.QueryString.ToUriComponent();
    }

    private static void CopyRequestHeaders(IHeaderDictionary source, HttpRequestMessage request)
    {
        var connection = source.Connection;
        foreach (var (name, values) in source)
        {
            if (ProxyHeaders.IsHopByHop(name) || ProxyHeaders.IsReplacedOnRequest(name)
                || (connection.Count > 0 && ProxyHeaders.IsListedInConnection(connection, name)))
            {
                continue;
            }

            var added = values.Count == 1
                ? request.Headers.TryAddWithoutValidation(name, values.ToString())
                : request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            if (!added && request.Content is not null)
            {
                request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
    }

    private static void CopyResponseHeaders(HttpHeaders source, IHeaderDictionary target)
    {
        foreach (var (name, values) in source.NonValidated)
        {
            if (!ProxyHeaders.IsHopByHop(name))
            {
                target[name] = ToStringValues(values);
            }
        }
    }

    private static StringValues ToStringValues(HeaderStringValues values)
    {
        if (values.Count == 1)
        {
            return values.ToString();
        }

        var array = new string[values.Count];
        var i = 0;
        foreach (var value in values)
        {
            array[i++] = value;
        }

        return array;
    }

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
        || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);

    private static bool IsMemberFailure(Exception ex, HttpContext context) =>
        ex is HttpRequestException or IOException
        || (ex is OperationCanceledException && !context.RequestAborted.IsCancellationRequested);

    private static Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            // Headers already went out: the only honest signal left is to cut the connection.
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }
}
