using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Strata.ControlPlane.Access;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Access;

[Trait("kind", "e2e")]
public sealed class ApiAuthenticationTests
{
    /// <summary>How an attacker may spell a path so that routing still matches it while a naive prefix check does not.</summary>
    private static readonly (string Name, Func<string, string> Spell)[] s_spellings =
    [
        ("as routed", p => p),
        ("upper case", p => p.ToUpperInvariant()),
        ("capitalised", p => "/Api" + p[4..]),
        ("doubled slash", p => "/api/" + p[4..]),
        ("percent-encoded", p => "/%61pi" + p[4..]),
        ("trailing slash", p => p + "/"),
    ];

    [Fact]
    public async Task Request_EveryRouteSpelledAnyWayWithoutToken_Unauthorized()
    {
        await using var app = await ControlPlaneApp.StartAsync();
        var routes = Routes(app).ToList();
        Assert.Contains(routes, r => r.Method == "POST" && r.Path == "/api/v1/server/stop");

        var failures = new List<string>();
        foreach (var (method, path) in routes.Where(r => r.Path.StartsWith("/api/", StringComparison.Ordinal)))
        {
            foreach (var (name, spell) in s_spellings)
            {
                var status = await app.SendRawAsync(method, spell(path));
                if (status != StatusCodes.Status401Unauthorized)
                {
                    failures.Add($"{method} {spell(path)} ({name}): {status}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(StatusCodes.Status200OK, await app.SendRawAsync("GET", "/api/v1/server", $"Authorization: Bearer {app.CliToken}"));
        Assert.False(app.App.Lifetime.ApplicationStopping.IsCancellationRequested, "an unauthenticated request stopped the server");
    }

    [Fact]
    public async Task Request_EveryEndpointButHealthzWithoutToken_Unauthorized()
    {
        await using var app = await ControlPlaneApp.StartAsync();

        var open = new List<string>();
        foreach (var (method, path) in Routes(app))
        {
            if (await app.SendRawAsync(method, path) != StatusCodes.Status401Unauthorized)
            {
                open.Add($"{method} {path}");
            }
        }

        Assert.Equal(["GET /healthz"], open);
        Assert.Equal(StatusCodes.Status401Unauthorized, await app.SendRawAsync("POST", "/healthz"));
        Assert.Equal(StatusCodes.Status401Unauthorized, await app.SendRawAsync("GET", "/no/such/route"));
    }

    [Fact]
    public async Task Request_ForeignHost_MisdirectedBeforeAnyHandler()
    {
        await using var app = await ControlPlaneApp.StartAsync();

        var status = await app.SendRawWithHostAsync("POST", "/api/v1/server/stop", $"rebound.example:{app.Endpoint.Port}", $"Authorization: Bearer {app.CliToken}");

        Assert.Equal(StatusCodes.Status421MisdirectedRequest, status);
        Assert.Equal(StatusCodes.Status421MisdirectedRequest, await app.SendRawWithHostAsync("GET", "/healthz", "rebound.example"));
        Assert.False(app.App.Lifetime.ApplicationStopping.IsCancellationRequested, "a misdirected request reached the stop handler");
        Assert.Equal(StatusCodes.Status200OK, await app.SendRawWithHostAsync("GET", "/healthz", $"localhost:{app.Endpoint.Port}"));
        Assert.Equal(StatusCodes.Status200OK, await app.SendRawWithHostAsync("GET", "/healthz", app.Endpoint.ToString()));
    }

    [Fact]
    public async Task Request_ForeignOrigin_Forbidden()
    {
        await using var app = await ControlPlaneApp.StartAsync();
        var token = $"Authorization: Bearer {app.CliToken}";

        Assert.Equal(StatusCodes.Status403Forbidden, await app.SendRawAsync("POST", "/api/v1/server/stop", token, "Origin: http://attacker.example"));
        Assert.Equal(StatusCodes.Status403Forbidden, await app.SendRawAsync("GET", "/api/v1/deployments", token, "Origin: null"));
        Assert.False(app.App.Lifetime.ApplicationStopping.IsCancellationRequested, "a cross-origin request reached the stop handler");
        Assert.Equal(StatusCodes.Status200OK, await app.SendRawAsync("GET", "/api/v1/deployments", token, $"Origin: {app.Endpoint.Url}"));
    }

    [Fact]
    public async Task Request_UnknownToken_UnauthorizedNamingWhatToSend()
    {
        await using var app = await ControlPlaneApp.StartAsync();

        using var response = await app.SendAsync(HttpMethod.Get, "/api/v1/deployments", "strata_" + new string('0', 64));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("not known", await response.Content.ReadAsStringAsync());
    }

    /// <summary>Every method and path the app routes, with route parameters filled with sample values.</summary>
    private static IEnumerable<(string Method, string Path)> Routes(ControlPlaneApp app)
    {
        var source = app.App.Services.GetRequiredService<EndpointDataSource>();
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            var path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => "sample-" + parameter.Name,
                _ => "",
            }))));
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                yield return (method, path);
            }
        }
    }
}
