using System.Net;
using System.Net.Http.Json;
using Strata.Api.Contracts;
using Strata.ControlPlane.Api.V1;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Access;

[Trait("kind", "e2e")]
public sealed class ApiRolesTests
{
    [Fact]
    public async Task CreateToken_Viewer_ReadsButCannotChangeNamingTheRole()
    {
        await using var app = await ControlPlaneApp.StartAsync();
        var viewer = await CreateAsync(app, "dashboard", "viewer");

        using var list = await app.SendAsync(HttpMethod.Get, "/api/v1/deployments", viewer);
        using var scale = await app.SendAsync(HttpMethod.Post, "/api/v1/deployments/hello/tiers/web/scale", viewer, JsonContent.Create(new { desired = 2 }));
        using var logs = await app.SendAsync(HttpMethod.Get, "/api/v1/deployments/hello/servers/web-1/logs", viewer);

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, scale.StatusCode);
        Assert.Equal("this needs the operator role; the token 'dashboard' has viewer", await DetailAsync(scale));
        Assert.Equal(HttpStatusCode.Forbidden, logs.StatusCode);
    }

    [Fact]
    public async Task CreateToken_Operator_ChangesDeploymentsButNotServerOrTokens()
    {
        await using var app = await ControlPlaneApp.StartAsync();
        var operatorToken = await CreateAsync(app, "deployer", "operator");

        using var rollback = await app.SendAsync(HttpMethod.Post, "/api/v1/deployments/hello/rollback", operatorToken);
        using var stop = await app.SendAsync(HttpMethod.Post, "/api/v1/server/stop", operatorToken);
        using var delete = await app.SendAsync(HttpMethod.Delete, "/api/v1/deployments/hello", operatorToken);
        using var tokens = await app.SendAsync(HttpMethod.Get, "/api/v1/tokens", operatorToken);

        Assert.Equal(HttpStatusCode.NotFound, rollback.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, stop.StatusCode);
        Assert.Equal("this needs the admin role; the token 'deployer' has operator", await DetailAsync(stop));
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, tokens.StatusCode);
        Assert.False(app.App.Lifetime.ApplicationStopping.IsCancellationRequested);
    }

    [Fact]
    public async Task RevokeToken_Revoked_Unauthorized()
    {
        await using var app = await ControlPlaneApp.StartAsync();
        var viewer = await CreateAsync(app, "temporary", "viewer");

        using var revoke = await app.SendAsync(HttpMethod.Delete, "/api/v1/tokens/temporary", app.CliToken);
        using var after = await app.SendAsync(HttpMethod.Get, "/api/v1/deployments", viewer);
        using var again = await app.SendAsync(HttpMethod.Delete, "/api/v1/tokens/temporary", app.CliToken);
        using var cli = await app.SendAsync(HttpMethod.Delete, "/api/v1/tokens/cli", app.CliToken);

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, cli.StatusCode);
    }

    [Fact]
    public async Task CreateToken_SecretShownOnce_OnlyItsHashStored()
    {
        await using var app = await ControlPlaneApp.StartAsync();
        var secret = await CreateAsync(app, "ci", "operator");

        using var list = await app.SendAsync(HttpMethod.Get, "/api/v1/tokens", app.CliToken);
        var listed = await list.Content.ReadAsStringAsync();
        await app.App.StopAsync().WithTimeout();

        Assert.Contains("\"name\":\"ci\"", listed);
        Assert.Contains("\"name\":\"cli\"", listed);
        Assert.DoesNotContain(secret, listed);
        Assert.StartsWith("strata_", secret);
        foreach (var file in Directory.EnumerateFiles(app.Paths.Root, "state.db*"))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.DoesNotContain(secret, System.Text.Encoding.ASCII.GetString(bytes));
            Assert.DoesNotContain(app.CliToken, System.Text.Encoding.ASCII.GetString(bytes));
        }
    }

    [Fact]
    public async Task Start_TokenFileFromEarlierVersion_StillAdmin()
    {
        const string earlier = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        await using var app = await ControlPlaneApp.StartAsync(paths => File.WriteAllText(paths.TokenFile, earlier + "\n"));

        using var tokens = await app.SendAsync(HttpMethod.Get, "/api/v1/tokens", earlier);

        Assert.Equal(HttpStatusCode.OK, tokens.StatusCode);
        Assert.Contains("\"role\":\"admin\"", await tokens.Content.ReadAsStringAsync());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(app.Paths.TokenFile));
    }

    [Fact]
    public async Task CreateToken_BadRoleOrName_BadRequestNamingTheChoices()
    {
        await using var app = await ControlPlaneApp.StartAsync();

        using var role = await app.SendAsync(HttpMethod.Post, "/api/v1/tokens", app.CliToken, JsonContent.Create(new TokenCreateRequest { Name = "x", Role = "root" }, AccessJsonContext.Default.TokenCreateRequest));
        using var name = await app.SendAsync(HttpMethod.Post, "/api/v1/tokens", app.CliToken, JsonContent.Create(new TokenCreateRequest { Name = "a b", Role = "viewer" }, AccessJsonContext.Default.TokenCreateRequest));

        Assert.Equal(HttpStatusCode.BadRequest, role.StatusCode);
        Assert.Contains("viewer, operator or admin", await DetailAsync(role));
        Assert.Equal(HttpStatusCode.BadRequest, name.StatusCode);
    }

    private static async Task<string?> DetailAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.ProblemDto))?.Detail;

    internal static async Task<string> CreateAsync(ControlPlaneApp app, string name, string role, long? expiresInSeconds = null)
    {
        var body = new TokenCreateRequest { Name = name, Role = role, ExpiresInSeconds = expiresInSeconds };
        using var response = await app.SendAsync(HttpMethod.Post, "/api/v1/tokens", app.CliToken, JsonContent.Create(body, AccessJsonContext.Default.TokenCreateRequest));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync(AccessJsonContext.Default.TokenCreatedDto);
        return created!.Secret;
    }
}
