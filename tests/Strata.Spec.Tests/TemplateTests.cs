using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.Spec.Tests;

[Trait("kind", "unit")]
public sealed class TemplateTests
{
    /// <summary>A hand-written resolver over fixed values; paths it does not know are unknown until apply.</summary>
    private sealed class FixedResolver(Dictionary<string, ReferenceValue> values) : IReferenceResolver
    {
        public string Name => "test";

        public ReferenceValue? Resolve(PathExpression path) =>
            values.TryGetValue(path.Path, out var value) ? value : path.Root == "nothing" ? null : ReferenceValue.Unknown;
    }

    private static readonly FixedResolver s_resolver = new(new Dictionary<string, ReferenceValue>
    {
        ["params.name"] = ReferenceValue.Known("Web"),
        ["params.empty"] = ReferenceValue.Known(""),
        ["params.password"] = ReferenceValue.Known("pw", isSecret: true),
        ["tiers.web.servers[*].address"] = ReferenceValue.List(["127.0.0.2", "127.0.0.3"]),
    });

    private static TemplateValue Evaluate(string raw) => TemplateEvaluator.Evaluate(new Template(raw, SourceLocation.None), s_resolver);

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("hi ${params.name}!", "hi Web!")]
    [InlineData("${upper(params.name)}-${lower(params.name)}", "WEB-web")]
    [InlineData("${join(tiers.web.servers[*].address, ',')}", "127.0.0.2,127.0.0.3")]
    [InlineData("${ join( tiers.web.servers[*].address , \" \" ) }", "127.0.0.2 127.0.0.3")]
    [InlineData("${default(params.empty, 'fallback')}", "fallback")]
    [InlineData("${default(params.name, 'fallback')}", "Web")]
    [InlineData("cost: $${literal} and $5", "cost: ${literal} and $5")]
    public void Evaluate_KnownValues_ProducesText(string raw, string expected) =>
        Assert.Equal(expected, Evaluate(raw).Text);

    [Fact]
    public void Evaluate_RunTimeValue_IsKnownAfterApply()
    {
        var value = Evaluate("http://${tiers.db.servers[0].address}:5432");

        Assert.False(value.IsKnown);
        Assert.Equal("(known after apply)", value.Display);
    }

    [Fact]
    public void Evaluate_Secret_DisplaysRedacted()
    {
        var value = Evaluate("user:${params.password}");

        Assert.Equal("user:pw", value.Text);
        Assert.True(value.IsSecret);
        Assert.Equal("(secret)", value.Display);
    }

    [Fact]
    public void Evaluate_ReferenceToNothing_Throws()
    {
        var error = Assert.Throws<TemplateException>(() => Evaluate("x ${nothing.here}"));

        Assert.Equal(4, error.Offset);
    }

    [Theory]
    [InlineData("${", 0, "'${' is never closed with '}'")]
    [InlineData("a ${}", 2, "empty expression '${}'")]
    [InlineData("${params.}", 9, "expected a name after '.', found '}'")]
    [InlineData("${params.x y}", 11, "unexpected 'y' in expression")]
    [InlineData("${join(a)}", 2, "join() takes 2 arguments, but 1 is given")]
    [InlineData("${upper(a, b)}", 2, "upper() takes 1 argument, but 2 are given")]
    [InlineData("${lower(a}", 9, "expected ',' or ')' but found '}'")]
    [InlineData("${x['a}", 3, "'[' is never closed with ']'")]
    [InlineData("${tiers[-1]}", 8, "an index is a number or '*', not '-1'")]
    [InlineData("${'open}", 2, "string starting with ' is never closed")]
    [InlineData("${9lives}", 2, "expected a name, a quoted string or a function call, found '9'")]
    public void Parse_InvalidExpression_ReportsOffsetAndMessage(string raw, int offset, string message)
    {
        var error = Assert.Throws<TemplateException>(() => TemplateParser.Parse(raw));

        Assert.Equal((offset, message), (error.Offset, error.Message));
    }

    [Fact]
    public void Of_TemplateWithFunctions_ListsEveryPathWithColumn()
    {
        var template = new Template("${join(tiers.web.servers[*].address, ',')}:${params.port}", new SourceLocation("s.yaml", 3, 10));

        var references = TemplateReferences.Of(template);

        Assert.Equal(["tiers.web.servers[*].address", "params.port"], references.Select(r => r.Path));
        Assert.Equal([17, 55], references.Select(r => r.Location.Column));
    }

    [Fact]
    public void Parse_ValidSpecWithFunctionsAndEscapes_Loads()
    {
        var yaml = """
            deployment: demo
            parameters:
              region: { default: "" }
            images:
              app: { from: ./app, run: "server --peers ${join(tiers.web.servers[*].address, ',')} --price $${PRICE}" }
            tiers:
              web: { image: app, servers: 3, env: { REGION: "${upper(default(params.region, 'eu'))}" } }
            outputs:
              name: ${deployment.name}
            """;

        var result = SpecFiles.Parse(yaml);

        Assert.True(result.Success, SpecFiles.Render(result));
        Assert.Equal("EU", TemplateEvaluator.Evaluate(result.Spec!.Tiers[0].Env["REGION"], ReferenceResolver.ForPlan(result.Spec)).Text);
        Assert.Equal("demo", TemplateEvaluator.Evaluate(result.Spec.Outputs[0].Value, ReferenceResolver.ForPlan(result.Spec)).Text);
    }

    [Fact]
    public void Evaluate_WithLaunchedServers_ResolvesAddressesAndSelf()
    {
        var spec = SpecFiles.Parse("""
            deployment: demo
            images:
              app: { from: ./app, run: "serve ${self.name} ${join(tiers.web.servers[*].address, ' ')}" }
            tiers:
              web: { image: app, servers: 2 }
            """).Spec!;
        LiveServer[] servers = [new("demo-web-0", "127.0.0.2", "web", "local-a"), new("demo-web-1", "127.0.0.3", "web", "local-b")];
        var resolver = new ReferenceResolver(spec, new FixedReferenceSource(servers[1], new Dictionary<string, IReadOnlyList<LiveServer>> { ["web"] = servers }));

        Assert.Equal("serve demo-web-1 127.0.0.2 127.0.0.3", TemplateEvaluator.Evaluate(spec.Images[0].Run, resolver).Text);
        Assert.Equal("(known after apply)", TemplateEvaluator.Evaluate(spec.Images[0].Run, ReferenceResolver.ForPlan(spec)).Display);
    }
}
