using Strata.ControlPlane.Access;
using Strata.ControlPlane.Hosting;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Access;

[Trait("kind", "unit")]
public sealed class TokenAuthenticatorTests
{
    [Fact]
    public async Task AuthenticateAsync_ExpiredToken_RefusedNamingWhenItExpired()
    {
        var time = new ManualTimeProvider();
        await using var services = new ControlPlaneServices(time);
        var secret = TokenSecrets.Generate();
        await services.Get<IAccessStore>().AddTokenAsync(new ApiToken
        {
            Name = "night-job", Role = TokenRole.Operator, Hash = TokenSecrets.Hash(secret), CreatedAt = time.GetUtcNow(), ExpiresAt = time.GetUtcNow().AddHours(1),
        }, CancellationToken.None);
        var authenticator = services.Get<TokenAuthenticator>();

        var before = await authenticator.AuthenticateAsync(secret, CancellationToken.None);
        time.Advance(TimeSpan.FromHours(1));
        var after = await authenticator.AuthenticateAsync(secret, CancellationToken.None);

        Assert.Equal("night-job", before.Token?.Name);
        Assert.Null(after.Token);
        Assert.Equal("the token 'night-job' expired at 2026-01-01 01:00:00Z", after.Refusal);
    }

    [Fact]
    public async Task AuthenticateAsync_CliTokenFile_AdminWithoutExpiry()
    {
        await using var services = new ControlPlaneServices();

        var authenticator = services.Get<TokenAuthenticator>();

        var (token, _) = await authenticator.AuthenticateAsync(ServerToken.TryRead(services.Paths), CancellationToken.None);

        Assert.Equal((ApiToken.CliTokenName, TokenRole.Admin, (DateTimeOffset?)null), (token?.Name, token?.Role, token?.ExpiresAt));
    }
}
