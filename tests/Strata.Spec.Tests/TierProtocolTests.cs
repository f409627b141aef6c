using Strata.Spec.Model;

namespace Strata.Spec.Tests;

[Trait("kind", "unit")]
public sealed class TierProtocolTests
{
    private const string Head = """
        deployment: demo
        images:
          app: { from: ./app, run: "python3 server.py" }
        tiers:

        """;

    [Fact]
    public void Parse_ProtocolLeftOut_IsHttp1()
    {
        var result = SpecFiles.Parse(Head + "  web: { image: app, ports: { http: 8000 } }\n");

        Assert.Equal(TierProtocol.Http1, Assert.Single(result.Spec!.Tiers).Protocol);
    }

    [Fact]
    public void Parse_ProtocolH2c_IsRead()
    {
        var result = SpecFiles.Parse(Head + "  api: { image: app, ports: { grpc: 5000 }, protocol: h2c }\n");

        Assert.Equal(TierProtocol.H2c, Assert.Single(result.Spec!.Tiers).Protocol);
    }
}
