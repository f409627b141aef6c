using Strata.Spec.Diagnostics;
using Strata.Spec.Interpolation;

namespace Strata.Spec.Tests;

/// <summary>The reference grammar of docs/spec.md (Interpolation), read once by <see cref="Reference.Parse"/> for the loader and the resolver.</summary>
[Trait("kind", "unit")]
public sealed class ReferenceGrammarTests
{
    private static PathExpression Path(string reference) => Assert.IsType<PathExpression>(Assert.Single(TemplateParser.Parse("${" + reference + "}").Parts).Expression);

    public static TheoryData<string, string> Valid => new()
    {
        { "params.region", "ParameterReference region" },
        { "deployment.name", "DeploymentNameReference" },
        { "loadBalancers.front.url", "LoadBalancerReference front Url" },
        { "tiers.db.ports.postgres", "TierPortReference db postgres" },
        { "tiers.db.servers[2].zone", "TierServerReference db 2 Zone" },
        { "tiers.db.servers[*].id", "TierServerReference db * Id" },
        { "self.tier", "SelfReference Tier" },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parse_EveryKind_ReadsItsParts(string reference, string expected)
    {
        var parsed = Reference.Parse(Path(reference));

        var described = parsed switch
        {
            ParameterReference p => $"{nameof(ParameterReference)} {p.Name}",
            LoadBalancerReference lb => $"{nameof(LoadBalancerReference)} {lb.LoadBalancer} {lb.Attribute}",
            TierPortReference port => $"{nameof(TierPortReference)} {port.Tier} {port.Port}",
            TierServerReference s => $"{nameof(TierServerReference)} {s.Tier} {s.Index?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "*"} {s.Attribute}",
            SelfReference self => $"{nameof(SelfReference)} {self.Attribute}",
            _ => parsed?.GetType().Name,
        };
        Assert.Equal(expected, described);
        Assert.Equal(reference, parsed!.Path.Path);
    }

    [Theory]
    [InlineData("params")]
    [InlineData("params.a.b")]
    [InlineData("deployment.id")]
    [InlineData("self.port")]
    [InlineData("self.address.x")]
    [InlineData("tiers.db.servers[0].tier")]
    [InlineData("tiers.db.servers.address")]
    [InlineData("tiers.db.ports")]
    [InlineData("loadBalancers.front.host")]
    [InlineData("outputs.url")]
    public void Parse_ShapeOutsideTheGrammar_IsNull(string reference)
    {
        Assert.Null(Reference.Parse(Path(reference)));
    }

    [Fact]
    public void ServersOf_ServerReference_IsItsTierAndNothingElseReadsServers()
    {
        Assert.Equal("db", Reference.Parse(Path("tiers.db.servers[*].address"))!.ServersOf);
        Assert.True(Reference.Parse(Path("self.address"))!.NeedsSelf);
        Assert.All(["params.region", "deployment.name", "loadBalancers.front.url", "tiers.db.ports.postgres"], r =>
        {
            var parsed = Reference.Parse(Path(r))!;
            Assert.Null(parsed.ServersOf);
            Assert.False(parsed.NeedsSelf);
        });
    }

    /// <summary>The loader's hint for a reference of each root that the grammar does not know, as docs/spec.md lists them.</summary>
    public static TheoryData<string, string> Hints => new()
    {
        { "params.a.b", "write params.<name>" },
        { "self.port", "write self.address, self.name, self.tier, self.zone or self.id" },
        { "tiers.db.servers[0].tier", "write tiers.<tier>.servers[<index>|*].address (or name, zone, id), or tiers.<tier>.ports.<port>" },
        { "loadBalancers.front.host", "write loadBalancers.<name>.address (address, port, listen, url)" },
        { "deployment.id", "write deployment.name" },
        { "volumes.data", "references start with params, tiers, self, loadBalancers or deployment" },
    };

    [Theory]
    [MemberData(nameof(Hints))]
    public void Load_ReferenceOutsideTheGrammar_IsOneErrorWithTheHintOfItsRoot(string reference, string hint)
    {
        var result = SpecFiles.Parse($$"""
            deployment: demo
            images:
              app: { from: ./app, run: x }
            tiers:
              db: { image: app }
              web: { image: app, ports: { http: 8000 }, env: { A: "${{{reference}}}" } }
            loadBalancers:
              front: { listen: 127.0.0.1:8080, to: "web:8000" }
            """);

        var error = Assert.Single(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(DiagnosticCodes.UnknownReference, error.Code);
        Assert.Equal(hint, error.Hint);
    }
}
