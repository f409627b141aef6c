using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.Spec.Tests;

[Trait("kind", "unit")]
public sealed class PlacementTests
{
    private const string Head = """
        deployment: demo
        images:
          app: { from: ./app, run: "python3 server.py" }
        tiers:

        """;

    [Fact]
    public void Parse_PlacementLeftOut_IsNull()
    {
        var result = SpecFiles.Parse(Head + "  web: { image: app }\n");

        Assert.Null(Assert.Single(result.Spec!.Tiers).Placement);
    }

    [Fact]
    public void Parse_FullPlacement_ReadsZonesRegionsLabelsAndSpread()
    {
        var result = SpecFiles.Parse(Head + "  web: { image: app, placement: { zones: [fra1, fra2], regions: [eu], labels: { disk: ssd }, spread: host } }\n");

        var placement = Assert.Single(result.Spec!.Tiers).Placement!;
        Assert.Equal(["fra1", "fra2"], placement.Zones);
        Assert.Equal(["eu"], placement.Regions);
        Assert.Equal("ssd", placement.Labels["disk"]);
        Assert.Equal(PlacementSpread.Host, placement.Spread);
    }

    [Fact]
    public void Parse_BadPlacement_EveryProblemWithItsLineAndColumn()
    {
        var result = SpecFiles.Parse(Head + """
              web:
                image: app
                zones: [a]
                placement:
                  zones: [b]
                  spread: rack
                  labels: { Disk: ssd }
                  region: [eu]

            """);

        var rendered = SpecFiles.Render(result);
        Assert.Null(result.Spec);
        Assert.Contains("strata.yaml:9:14: error: tiers.web.placement.zones: the tier lists zones already (line 7)", rendered);
        Assert.Contains("strata.yaml:10:15: error: tiers.web.placement.spread: 'rack' is not one of zone, host", rendered);
        Assert.Contains("strata.yaml:11:17: error: tiers.web.placement.labels: 'Disk' is not a valid label name", rendered);
        Assert.Contains("strata.yaml:12:7: error: unknown key 'region' in tiers.web.placement\n  hint: did you mean 'regions'?", rendered);
    }

    [Fact]
    public void Parse_Resources_ReadsCoresAndBytes()
    {
        var result = SpecFiles.Parse(Head + "  web: { image: app, resources: { cpu: 0.5, memory: 256MiB } }\n  db: { image: app, resources: { memory: 1GiB } }\n");

        var web = result.Spec!.Tiers.Single(t => t.Name == "web").Resources!;
        var db = result.Spec!.Tiers.Single(t => t.Name == "db").Resources!;
        Assert.Equal((0.5, 256L << 20), (web.Cpu, web.MemoryBytes));
        Assert.Equal((0.0, 1L << 30), (db.Cpu, db.MemoryBytes));
        Assert.Null(Assert.Single(SpecFiles.Parse(Head + "  web: { image: app }\n").Spec!.Tiers).Resources);
    }

    [Fact]
    public void Parse_BadResources_EveryProblemWithItsLineAndColumn()
    {
        var result = SpecFiles.Parse(Head + """
              web:
                image: app
                resources:
                  cpu: 0
                  memory: lots
                  disk: 1GiB
              api:
                image: app
                resources: { cpu: 500m }
              worker:
                image: app
                resources: { cpu: 2000, memory: 0 }
              batch:
                image: app
                resources: {}

            """);

        var rendered = SpecFiles.Render(result);
        Assert.Null(result.Spec);
        Assert.Contains("strata.yaml:8:12: error: tiers.web.resources.cpu: 0 cores is out of range\n  hint: write cores between 0.001 and 1024, a fraction allowed, e.g. cpu: 0.5", rendered);
        Assert.Contains("strata.yaml:9:15: error: tiers.web.resources.memory: 'lots' is not a size", rendered);
        Assert.Contains("strata.yaml:10:7: error: unknown key 'disk' in tiers.web.resources", rendered);
        Assert.Contains("strata.yaml:13:23: error: tiers.api.resources.cpu: '500m' is not a number", rendered);
        Assert.Contains("strata.yaml:16:23: error: tiers.worker.resources.cpu: 2000 cores is out of range", rendered);
        Assert.Contains("strata.yaml:16:37: error: tiers.worker.resources.memory: must be larger than 0", rendered);
        Assert.Contains("strata.yaml:19:16: error: tiers.batch.resources: says neither cpu nor memory", rendered);
    }

    private const string Balanced = LoadBalancerLimitsTests.Head + "  front:\n    to: web:http\n";

    [Fact]
    public void Parse_LoadBalancerPlacement_ListensOnAPortOfItsHost()
    {
        var result = SpecFiles.Parse(Balanced + "    listen: 8080\n    placement: { zones: [b], labels: { edge: \"yes\" } }\n");

        var front = Assert.Single(result.Spec!.LoadBalancers);
        Assert.Equal(["b"], front.Placement!.Zones);
        Assert.Equal("yes", front.Placement.Labels["edge"]);
        Assert.Equal(("", 8080, "host:8080", null), (front.ListenHost, front.ListenPort, front.Listen, front.Url));
        Assert.Equal("http://127.61.0.2:8080", front.UrlAt("127.61.0.2"));
    }

    [Fact]
    public void Parse_LoadBalancerPlacementWithAnAddressOrSpread_EachProblemWithWhatToWrite()
    {
        var result = SpecFiles.Parse(Balanced + "    listen: 127.0.0.1:8080\n    placement: { zones: [b], spread: host }\n");

        var rendered = SpecFiles.Render(result);
        Assert.Null(result.Spec);
        Assert.Contains("strata.yaml:9:13: error: loadBalancers.front.listen: a load balancer with placement listens on the address of the host it is placed on\n  hint: write the port alone, e.g. listen: 8080", rendered);
        Assert.Contains("unknown key 'spread' in loadBalancers.front.placement", rendered);
    }

    [Fact]
    public void Resolve_PlacedLoadBalancer_UnknownUntilItsHostIsKnown()
    {
        var spec = SpecFiles.Parse(Balanced + "    listen: 8080\n    placement: { zones: [b] }\n").Spec!;
        var url = TemplateParser.Parse("${loadBalancers.front.url}").Parts.Single().Expression as PathExpression;

        Assert.Equal(ReferenceValue.Unknown, ReferenceResolver.ForPlan(spec).Resolve(url!));
        Assert.Equal("http://127.61.0.2:8080", new ReferenceResolver(spec, new PlacedSource("127.61.0.2")).Resolve(url!)!.Text);
    }

    [Fact]
    public void Resolve_LoadBalancerListeningElsewhereThanItsSpecSays_EveryAttributeNamesWhereItListens()
    {
        var spec = SpecFiles.Parse(Balanced + "    listen: 127.0.0.1:8080\n").Spec!;
        var resolver = new ReferenceResolver(spec, new PlacedSource(null, new LoadBalancerListener("127.61.0.3", 41234)));
        string Resolve(string attribute) => resolver.Resolve((PathExpression)TemplateParser.Parse($"${{loadBalancers.front.{attribute}}}").Parts.Single().Expression!)!.Text!;

        Assert.Equal(
            ("http://127.61.0.3:41234", "127.61.0.3", "41234", "127.61.0.3:41234"),
            (Resolve("url"), Resolve("address"), Resolve("port"), Resolve("listen")));
        Assert.Equal("http://127.0.0.1:8080", ReferenceResolver.ForPlan(spec).Resolve((PathExpression)TemplateParser.Parse("${loadBalancers.front.url}").Parts.Single().Expression!)!.Text);
    }

    private sealed class PlacedSource(string? address, LoadBalancerListener? listener = null) : IReferenceSource
    {
        public string Name => "test";

        public LiveServer? Self => null;

        public IReadOnlyList<LiveServer>? ServersOf(string tier) => null;

        public string? AddressOfLoadBalancer(string loadBalancer) => address;

        public LoadBalancerListener? ListenerOfLoadBalancer(string loadBalancer) => listener;
    }
}
