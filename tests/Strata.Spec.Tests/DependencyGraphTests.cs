using Strata.Spec.Diagnostics;
using Strata.Spec.Validation;

namespace Strata.Spec.Tests;

[Trait("kind", "unit")]
public sealed class DependencyGraphTests
{
    [Fact]
    public void ResourceOrder_ReferencesAndDependsOn_PutDependenciesFirst()
    {
        var spec = SpecFiles.Parse("""
            deployment: demo
            images:
              app: { from: ./app, run: server }
            loadBalancers:
              front: { listen: 127.0.0.1:8080, to: web:8000 }
            tiers:
              web:
                image: app
                ports: [8000]
                env: { API: "${tiers.api.servers[0].address}" }
              api: { image: app, dependsOn: [cache] }
              cache: { image: app }
            """).Spec!;

        var order = DependencyGraph.ResourceOrder(spec);

        Assert.Equal(["images.app", "tiers.cache", "tiers.api", "tiers.web", "loadBalancers.front"], order);
        Assert.Equal(["images.app", "tiers.api"], DependencyGraph.Build(spec).DependenciesOf("tiers.web"));
    }

    [Fact]
    public void ResourceOrder_SelfReference_IsNotACycle()
    {
        var result = SpecFiles.Parse("""
            deployment: demo
            images:
              app: { from: ./app, run: "serve --peers ${join(tiers.web.servers[*].address, ',')}" }
            tiers:
              web: { image: app, servers: 3 }
            """);

        Assert.True(result.Success, SpecFiles.Render(result));
        Assert.Equal(["images.app", "tiers.web"], DependencyGraph.ResourceOrder(result.Spec!));
    }

    [Fact]
    public void Parse_ThreeTierCycle_NamesTheWholeCycleAtTheFirstReference()
    {
        var result = SpecFiles.Parse("""
            deployment: demo
            images:
              app: { from: ./app, run: server }
            tiers:
              a: { image: app, dependsOn: [b] }
              b: { image: app, env: { C: "${tiers.c.servers[0].address}" } }
              c: { image: app, env: { A: "${tiers.a.servers[0].name}" } }
            """);

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticCodes.DependencyCycle, error.Code);
        Assert.Equal("strata.yaml:5:32: error: dependency cycle: tiers.a -> tiers.b -> tiers.c -> tiers.a", error.ToString().Split('\n')[0]);
    }

    [Fact]
    public void Parse_CycleThroughSharedImage_IsFound()
    {
        var result = SpecFiles.Parse("""
            deployment: demo
            images:
              app: { from: ./app, run: "serve ${tiers.b.servers[0].address}" }
              other: { from: ./other, run: "serve ${tiers.a.servers[0].address}" }
            tiers:
              a: { image: app }
              b: { image: other }
            """);

        Assert.Equal("dependency cycle: tiers.a -> tiers.b -> tiers.a", Assert.Single(result.Diagnostics).Message);
    }

    [Fact]
    public void ResourceOrder_LongChain_DoesNotOverflowAndKeepsOrder()
    {
        var yaml = new System.Text.StringBuilder("deployment: chain\nimages:\n  app: { from: ./app, run: server }\ntiers:\n");
        for (var i = 0; i < 2000; i++)
        {
            yaml.Append(i == 0 ? $"  t{i}: {{ image: app }}\n" : $"  t{i}: {{ image: app, dependsOn: [t{i - 1}] }}\n");
        }

        var result = SpecFiles.Parse(yaml.ToString());

        Assert.True(result.Success, SpecFiles.Render(result));
        var order = DependencyGraph.ResourceOrder(result.Spec!);
        Assert.Equal("tiers.t0", order[1]);
        Assert.Equal("tiers.t1999", order[^1]);
    }
}
