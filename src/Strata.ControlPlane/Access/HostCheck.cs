using Microsoft.AspNetCore.Http;
using Strata.Api.Contracts;

namespace Strata.ControlPlane.Access;

/// <summary>
/// Answers requests addressed to another host with 421, before any handler runs: a page on another site that points a
/// name of its own at 127.0.0.1 (DNS rebinding) sends its own name as <c>Host</c>. A request whose <c>Origin</c> is not
/// the control plane's own (a browser page on another site) is refused with 403.
/// </summary>
internal sealed class HostCheck(Func<IReadOnlyList<Uri>> listening)
{
    private IReadOnlySet<string>? _hosts;

    /// <summary>The <c>Host</c> values this control plane answers: its listen address and <c>localhost</c>, with the port.</summary>
    public IReadOnlySet<string> Hosts => _hosts ??= AllowedHosts(listening());

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var host = context.Request.Host.Value ?? "";
        if (!Hosts.Contains(host))
        {
            return RefuseAsync(context, StatusCodes.Status421MisdirectedRequest, "misdirected request",
                $"this control plane answers requests for {string.Join(", ", Hosts.Order(StringComparer.Ordinal))} only");
        }

        var origin = context.Request.Headers.Origin;
        if (origin.Count > 0 && !IsOwnOrigin(origin.ToString()))
        {
            return RefuseAsync(context, StatusCodes.Status403Forbidden, "forbidden", "requests from another origin are refused");
        }

        return next(context);
    }

    private bool IsOwnOrigin(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp
        && string.Equals(origin, $"http://{uri.Authority}", StringComparison.OrdinalIgnoreCase) && Hosts.Contains(uri.Authority);

    private static IReadOnlySet<string> AllowedHosts(IReadOnlyList<Uri> addresses)
    {
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var address in addresses)
        {
            hosts.Add(address.Authority);
            hosts.Add($"localhost:{address.Port}");
            if (address.Port == 80)
            {
                hosts.Add(address.Host);
                hosts.Add("localhost");
            }
        }

        return hosts;
    }

    internal static Task RefuseAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ProblemDto { Title = title, Status = status, Detail = detail }, ApiJsonContext.Default.ProblemDto);
    }
}
