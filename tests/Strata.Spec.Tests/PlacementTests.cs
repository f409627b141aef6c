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
}
