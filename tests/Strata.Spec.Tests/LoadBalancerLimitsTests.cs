namespace Strata.Spec.Tests;

[Trait("kind", "unit")]
public sealed class LoadBalancerLimitsTests
{
    /// <summary>A spec up to its <c>loadBalancers:</c> key, with a tier <c>web</c> serving port 8000.</summary>
    internal const string Head = """
        deployment: demo
        images:
          app: { from: ./app, run: "python3 server.py" }
        tiers:
          web: { image: app, ports: { http: 8000 } }
        loadBalancers:

        """;

    [Fact]
    public void Parse_LimitsLeftOut_TakeTheDocumentedDefaults()
    {
        var result = SpecFiles.Parse(Head + "  front: { listen: 127.0.0.1:8080, to: web:http }\n");

        var front = Assert.Single(result.Spec!.LoadBalancers);
        Assert.Equal(4096, front.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(60), front.ResponseHeaderTimeout);
        Assert.Equal(32L * 1024 * 1024, front.MaxRequestBodyBytes);
    }

    [Fact]
    public void Parse_LimitsGiven_AreRead()
    {
        var result = SpecFiles.Parse(Head
            + "  front: { listen: 127.0.0.1:8080, to: web:http, maxConnections: 200, responseHeaderTimeout: 5s, maxRequestBody: 1MiB }\n");

        var front = Assert.Single(result.Spec!.LoadBalancers);
        Assert.Equal(200, front.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(5), front.ResponseHeaderTimeout);
        Assert.Equal(1024 * 1024, front.MaxRequestBodyBytes);
    }

    [Theory]
    [InlineData("maxConnections: 0", "loadBalancers.front.maxConnections")]
    [InlineData("responseHeaderTimeout: 0", "loadBalancers.front.responseHeaderTimeout")]
    [InlineData("maxRequestBody: 0", "loadBalancers.front.maxRequestBody")]
    public void Parse_LimitOutOfRange_IsAnErrorNamingIt(string limit, string path)
    {
        var result = SpecFiles.Parse(Head + $"  front: {{ listen: 127.0.0.1:8080, to: web:http, {limit} }}\n");

        Assert.Contains(path, SpecFiles.Render(result));
    }
}
