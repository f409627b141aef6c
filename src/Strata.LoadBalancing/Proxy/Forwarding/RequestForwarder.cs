using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Strata.LoadBalancing.Pinning;
using Strata.LoadBalancing.Proxy.Membership;
using Yarp.ReverseProxy.Forwarder;

namespace Strata.LoadBalancing.Proxy.Forwarding;

/// <summary>
/// The proxy's hot path: picks a member and hands the request to YARP's forwarder, which streams it and its response
/// (or the WebSocket it upgrades to) without buffering. A request that failed before any answer and before its body was sent is tried again
/// on the same member after a short backoff, then on up to <see cref="MaxRetries"/> others, when it is idempotent or
/// its connection was never made; a request the member may have acted on is never sent twice. With sticky sessions a request naming an active member in its
/// <c>STRATA_STICKY</c> cookie goes there; any other gets the cookie naming the member that answered. A request
/// carrying a signed pin goes to the server it names, and one carrying a pin that is not valid is refused with 421.
/// </summary>
internal sealed class RequestForwarder(
    MemberTable members, IBackendSelector selector, IHttpForwarder forwarder, UpstreamInvokers invokers, ForwardingSettings settings,
    TimeProvider timeProvider, ILogger<RequestForwarder> logger)
{
    private readonly PinReader _pins = new(settings.PinKey, timeProvider);

    private readonly ForwarderRequestConfig _requestConfig = RequestConfig(settings);
    private long _noMemberResponses;

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
            await ForwardingFailures.WriteErrorAsync(context, StatusCodes.Status421MisdirectedRequest, $"the {ServerPin.Header} pin is not valid or has expired").ConfigureAwait(false);
            return;
        }

        if (context.Request.ContentLength > settings.MaxRequestBodyBytes)
        {
            await ForwardingFailures.WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "the request body is too large").ConfigureAwait(false);
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
        var outcome = await SendAsync(context, backend, setCookie, mayMove: pinned is null).ConfigureAwait(false);
        if (outcome != Outcome.Completed)
        {
            await ForwardingFailures.WriteErrorAsync(context, StatusCodes.Status502BadGateway, "the server is unreachable").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends to <paramref name="backend"/> and, when it fails in a way that allows sending again and the request may
    /// move (it is not pinned), to up to <see cref="MaxRetries"/> other members.
    /// </summary>
    private async Task<Outcome> SendAsync(HttpContext context, Backend backend, bool setCookie, bool mayMove)
    {
        var idempotent = IsIdempotent(context.Request.Method);
        var body = ObserveBody(context);
        var outcome = await SendWithRetriesAsync(context, backend, setCookie, idempotent, body).ConfigureAwait(false);
        // Two servers may die at once (a zone, a bad rollout): a request that may be sent again tries up to MaxRetries others.
        var first = backend;
        for (var retry = 0; retry < MaxRetries && MayResend(outcome, idempotent) && mayMove; retry++)
        {
            // The pool as it is now: the member that failed may have been taken out since the request came in.
            if (members.Current.NextAfter(backend) is not { } next || next == first)
            {
                break;
            }

            backend.CountRetry();
            ProxyLog.Retrying(logger, backend.Name, next.Name);
            backend = next;
            outcome = await SendWithRetriesAsync(context, backend, settings.Sticky, idempotent, body).ConfigureAwait(false);
        }

        return outcome;
    }

    /// <summary>Sends to one member, trying it again after a short backoff while it fails before answering.</summary>
    private async Task<Outcome> SendWithRetriesAsync(HttpContext context, Backend backend, bool setCookie, bool idempotent, ObservedRequestBody? body)
    {
        // A pin may reach a member out of rotation: only one in rotation is given up on when it leaves.
        var inRotation = members.Current.Active.Contains(backend);
        for (var attempt = 1; ; attempt++)
        {
            var last = attempt > SameServerRetries;
            var (outcome, error) = await TrySendAsync(context, backend, setCookie, idempotent, last, body).ConfigureAwait(false);
            if (last || !MayResend(outcome, idempotent))
            {
                return outcome;
            }

            ProxyLog.RetryingSame(logger, backend.Name, error.ToString(), attempt);
            var backoff = error == HttpRequestError.ConnectionError ? SameServerBackoff : StalledServerBackoff;
            var delay = backoff * (1 << (attempt - 1));
            if (!inRotation)
            {
                await Task.Delay(delay, timeProvider, context.RequestAborted).ConfigureAwait(false);
            }
            else if (!await BackOffAsync(backend, delay, context.RequestAborted).ConfigureAwait(false))
            {
                return outcome;
            }
        }
    }

    /// <summary>
    /// Waits before trying a member in rotation again; false as soon as it leaves the rotation meanwhile. A member whose
    /// server was killed closes the connection unanswered, which waits 250 ms before the first retry: the control
    /// plane takes the member out within that time, and the request then goes to another member at once instead of
    /// waiting out the backoff and retrying a server that is gone.
    /// </summary>
    private async Task<bool> BackOffAsync(Backend backend, TimeSpan delay, CancellationToken ct)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var elapsed = Task.Delay(delay, timeProvider, waiting.Token);
        try
        {
            while (true)
            {
                var pool = members.Current;
                if (!pool.Active.Contains(backend))
                {
                    return false;
                }

                if (await Task.WhenAny(elapsed, members.WhenChangedAsync(pool.Version, waiting.Token)).ConfigureAwait(false) == elapsed)
                {
                    await elapsed.ConfigureAwait(false);
                    return true;
                }
            }
        }
        finally
        {
            await waiting.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// HTTP/1.1 to members by default (over cleartext YARP's "HTTP/2 or lower" is 1.1), with WebSockets by Upgrade; h2c
    /// with prior knowledge when members speak only HTTP/2. The idle timeout bounds a stream or a WebSocket with no
    /// traffic either way; the response-header timeout is per attempt.
    /// </summary>
    private static ForwarderRequestConfig RequestConfig(ForwardingSettings settings) => settings.BackendProtocol == BackendProtocol.H2c
        ? new() { ActivityTimeout = settings.IdleTimeout, Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact }
        : new() { ActivityTimeout = settings.IdleTimeout };

    /// <summary>Puts an observer over a request body, so a retry can tell whether any of it was read already.</summary>
    private static ObservedRequestBody? ObserveBody(HttpContext context)
    {
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != true)
        {
            return null;
        }

        var body = new ObservedRequestBody(context.Request.Body);
        context.Request.Body = body;
        return body;
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
            return ForwardingFailures.WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "no healthy servers");
        }

        // The pin's holder knows the name it carries; nothing else about the membership is told.
        return ForwardingFailures.WriteErrorAsync(context, StatusCodes.Status421MisdirectedRequest, $"the server named by the {ServerPin.Header} pin is not available");
    }

    /// <param name="lastTry">False when a failure before the answer will be retried on this member: it then does not count
    /// against passive health, which sees only failures that persist.</param>
    private async Task<(Outcome Outcome, HttpRequestError Error)> TrySendAsync(
        HttpContext context, Backend backend, bool setCookie, bool idempotent, bool lastTry, ObservedRequestBody? body)
    {
        backend.Enter();
        var started = timeProvider.GetTimestamp();
        var result = new AttemptResult(Outcome.Completed, MemberFailed: true);
        using var exchange = new MemberExchange(backend, setCookie, settings.ResponseHeaderTimeout, timeProvider);
        // Cut when the member is retired at its drain timeout; an attempt that starts after that (a retry of a
        // member gone meanwhile) is not aborted: it fails or succeeds on its own and is retried elsewhere.
        using var cut = backend.Retired.IsCancellationRequested
            ? default
            : backend.Retired.UnsafeRegister(static state => ((HttpContext)state!).Abort(), context);
        try
        {
            var error = await forwarder.SendAsync(context, backend.Origin, invokers.For(backend), _requestConfig, exchange, exchange.HeadersDue)
                .ConfigureAwait(false);
            result = error == ForwarderError.None
                ? AttemptResult.Answered(exchange.Status)
                : await ForwardingFailures.HandleAsync(context, backend, exchange, error, body?.Started == true, logger).ConfigureAwait(false);
            return (result.Outcome, result.Error);
        }
        finally
        {
            var elapsed = (long)timeProvider.GetElapsedTime(started).TotalMicroseconds;
            if (!lastTry && MayResend(result.Outcome, idempotent))
            {
                backend.ExitForRetry();
            }
            else if (backend.Exit(elapsed, result.MemberFailed))
            {
                ProxyLog.MemberFailing(logger, backend.Name, backend.Origin);
            }
        }
    }

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
        || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);
}
