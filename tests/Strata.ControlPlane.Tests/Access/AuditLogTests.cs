using System.Net;
using System.Net.Http.Json;
using Strata.Api.Contracts;
using Strata.ControlPlane.Access;
using Strata.ControlPlane.Api.V1;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Access;

[Trait("kind", "e2e")]
public sealed class AuditLogTests
{
    [Fact]
    public async Task StateChangingRequest_Recorded_WithoutValues()
    {
        await using var app = await ControlPlaneApp.StartAsync();
        var viewer = await ApiRolesTests.CreateAsync(app, "dashboard", "viewer");

        using var promote = await app.SendAsync(HttpMethod.Post, "/api/v1/deployments/shop/promote?tier=QueryValue-7f3a", app.CliToken);
        using var scale = await app.SendAsync(HttpMethod.Post, "/api/v1/deployments/shop/tiers/web/scale", viewer, JsonContent.Create(new { desired = 917_531 }));
        using var anonymous = await app.SendAsync(HttpMethod.Delete, "/api/v1/deployments/shop", token: null);
        using var read = await app.SendAsync(HttpMethod.Get, "/api/v1/deployments", app.CliToken);
        using var audit = await app.SendAsync(HttpMethod.Get, "/api/v1/audit?deployment=shop", app.CliToken);
        var text = await audit.Content.ReadAsStringAsync();
        var entries = await audit.Content.ReadFromJsonAsync(AccessJsonContext.Default.IReadOnlyListAuditEntryDto);

        Assert.Equal(HttpStatusCode.OK, audit.StatusCode);
        Assert.Collection(entries!,
            e => Assert.Equal(("cli", "admin", "POST", "/api/v1/deployments/{name}/promote", "shop", 404), (e.Token, e.Role, e.Method, e.Route, e.Deployment, e.Status)),
            e => Assert.Equal(("dashboard", "viewer", "POST", "/api/v1/deployments/{name}/tiers/{tier}/scale", "shop", 403), (e.Token, e.Role, e.Method, e.Route, e.Deployment, e.Status)),
            e => Assert.Equal(((string?)null, (string?)null, "DELETE", "/api/v1/deployments/{name}", "shop", 401), (e.Token, e.Role, e.Method, e.Route, e.Deployment, e.Status)));
        Assert.All(entries!, e => Assert.StartsWith("127.", e.Remote));
        Assert.DoesNotContain("QueryValue-7f3a", text);
        Assert.DoesNotContain("917531", text);
        Assert.DoesNotContain("\"web\"", text);
    }

    [Fact]
    public async Task ReadAuditAsync_SinceAndDeployment_OnlyMatchingNewestLast()
    {
        await using var services = new ControlPlaneServices();
        var store = services.Get<IAccessStore>();
        var start = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        foreach (var (minutes, deployment) in new[] { (0, "shop"), (90, "shop"), (100, "blog"), (120, "shop") })
        {
            await store.AppendAuditAsync(new AuditEntry
            {
                Time = start.AddMinutes(minutes), Token = "cli", Role = TokenRole.Admin, Remote = "127.0.0.1:5000", Method = "POST",
                Route = "/api/v1/deployments/{name}/rollback", Deployment = deployment, Status = 202,
            }, CancellationToken.None).WithTimeout();
        }

        var entries = await store.ReadAuditAsync(new AuditQuery("shop", start.AddHours(1)), CancellationToken.None).WithTimeout();

        Assert.Equal([start.AddMinutes(90), start.AddMinutes(120)], entries.Select(e => e.Time));
    }
}
