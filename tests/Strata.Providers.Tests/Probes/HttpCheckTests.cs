using Strata.Providers.Probes;

namespace Strata.Providers.Tests.Probes;

[Trait("kind", "unit")]
public sealed class HttpCheckTests
{
    [Theory]
    [InlineData("HTTP/1.1 200 OK", 200)]
    [InlineData("HTTP/1.0 302", 302)]
    [InlineData("HTTP/1.1 2x0 OK", null)]
    [InlineData("HTTP/2 200", null)]
    [InlineData("HTTP/1.1 2000 OK", null)]
    [InlineData("", null)]
    public void ParseStatus_Line_ReturnsCode(string line, int? expected) =>
        Assert.Equal(expected, HttpCheck.ParseStatus(System.Text.Encoding.ASCII.GetBytes(line)));
}
