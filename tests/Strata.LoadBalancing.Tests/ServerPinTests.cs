using Strata.LoadBalancing.Pinning;

namespace Strata.LoadBalancing.Tests;

[Trait("kind", "unit")]
public sealed class ServerPinTests
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private static readonly string s_key = ServerPin.NewKey();

    [Fact]
    public void Sign_ThenVerify_GivesBackTheClaimUntilItExpires()
    {
        var claim = new PinClaim("web-1", s_now.AddMinutes(5), AnyState: false);

        var value = ServerPin.Sign(s_key, claim);

        Assert.Matches("^web-1\\.[0-9]+\\.r\\.[0-9a-f]{64}$", value);
        Assert.Equal(claim, ServerPin.Verify(s_key, value, s_now));
        Assert.Null(ServerPin.Verify(s_key, value, s_now.AddMinutes(5)));
        Assert.Null(ServerPin.Verify(null, value, s_now));
    }

    [Theory]
    [InlineData("web-2")]
    [InlineData("a")]
    [InlineData("r")]
    public void Verify_AnyFieldChanged_IsRefused(string replacement)
    {
        var value = ServerPin.Sign(s_key, new PinClaim("web-1", s_now.AddMinutes(5), AnyState: false));
        var parts = value.Split('.');

        Assert.Null(ServerPin.Verify(s_key, value.Replace("web-1", replacement, StringComparison.Ordinal), s_now));
        Assert.Null(ServerPin.Verify(s_key, string.Join('.', parts[0], parts[1], "a", parts[3]), s_now));
        Assert.Null(ServerPin.Verify(s_key, string.Join('.', parts[0], (long.Parse(parts[1]) + 3600).ToString(), parts[2], parts[3]), s_now));
        Assert.Null(ServerPin.Verify(s_key, value + "0", s_now));
    }

    [Fact]
    public void Sign_NameWithDot_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => ServerPin.Sign(s_key, new PinClaim("web.1", s_now, false)));

        Assert.Contains("'web.1' cannot be pinned", error.Message);
    }
}
