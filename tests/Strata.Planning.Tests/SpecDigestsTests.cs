using Strata.Planning.State;
using Strata.Spec.Model;
using Strata.Testing;
using static Strata.Planning.Tests.TestDeployments;

namespace Strata.Planning.Tests;

[Trait("kind", "unit")]
public sealed class SpecDigestsTests
{
    private static readonly ImageSpec s_image = new() { Name = "web", From = "web", Run = T("python3 app.py") };

    [Fact]
    public void Launch_SourceLocationsDiffer_SameDigest()
    {
        var tier = Tier("web", "web");
        var moved = tier with
        {
            Location = new SourceLocation("other.yaml", 40, 3),
            Ports = [new PortSpec("http", 8000, new SourceLocation("other.yaml", 41, 5))],
        };

        Assert.Equal(SpecDigests.Launch(tier, s_image), SpecDigests.Launch(moved, s_image with { Run = new Template("python3 app.py", new SourceLocation("x", 9, 9)) }));
    }

    [Fact]
    public void Launch_EnvWrittenInOtherOrder_SameDigest()
    {
        var a = Tier("web", "web") with { Env = new Dictionary<string, Template> { ["A"] = T("1"), ["B"] = T("2") } };
        var b = Tier("web", "web") with { Env = new Dictionary<string, Template> { ["B"] = T("2"), ["A"] = T("1") } };

        Assert.Equal(SpecDigests.Launch(a, s_image), SpecDigests.Launch(b, s_image));
    }

    [Fact]
    public void Launch_RunCommandChanged_DigestChanges()
    {
        var tier = Tier("web", "web");

        Assert.NotEqual(SpecDigests.Launch(tier, s_image), SpecDigests.Launch(tier, s_image with { Run = T("python3 app.py -v") }));
    }

    [Fact]
    public void Launch_ValueOfAParameterTheEnvReadsChanged_DigestChangesAndNamesTheParamsPart()
    {
        var tier = Tier("web", "web") with { Env = new Dictionary<string, Template> { ["VERSION"] = T("v${params.version}") } };
        var one = new Dictionary<string, string> { ["version"] = "1", ["unread"] = "a" };
        var two = new Dictionary<string, string> { ["version"] = "2", ["unread"] = "a" };

        Assert.NotEqual(SpecDigests.Launch(tier, s_image, one), SpecDigests.Launch(tier, s_image, two));
        Assert.Equal(SpecDigests.Launch(tier, s_image, one), SpecDigests.Launch(tier, s_image, new Dictionary<string, string> { ["version"] = "1", ["unread"] = "b" }));
        var changed = SpecDigests.LaunchParts(tier, s_image, one).Where(p => SpecDigests.LaunchParts(tier, s_image, two)[p.Key] != p.Value).Select(p => p.Key);
        Assert.Equal([SpecDigests.ParametersPartName], changed);
    }

    [Fact]
    public void Launch_NoTemplateReadsAParameter_DigestAsWithoutParameters()
    {
        var tier = Tier("web", "web") with { Env = new Dictionary<string, Template> { ["NAME"] = T("${deployment.name}") } };

        Assert.Equal(SpecDigests.Launch(tier, s_image), SpecDigests.Launch(tier, s_image, new Dictionary<string, string> { ["version"] = "1" }));
    }

    [Fact]
    public void TierSettings_HealthChanged_SettingsChangeButLaunchDoesNot()
    {
        var tier = Tier("web", "web");
        var changed = tier with { Health = new HealthCheckSpec { Kind = HealthCheckKind.Tcp, Port = 8000 } };

        Assert.NotEqual(SpecDigests.TierSettings(tier), SpecDigests.TierSettings(changed));
        Assert.Equal(SpecDigests.Launch(tier, s_image), SpecDigests.Launch(changed, s_image));
    }

    [Fact]
    public void TierSettings_CountChanged_SettingsUnchanged()
    {
        var tier = Tier("web", "web", 2);

        Assert.Equal(SpecDigests.TierSettings(tier), SpecDigests.TierSettings(tier with { Servers = ServerCount.Fixed(5) }));
    }

    [Fact]
    public void LoadBalancerSettings_AlgorithmChanged_DigestChanges()
    {
        var lb = LoadBalancer("front", "web");

        Assert.NotEqual(
            SpecDigests.LoadBalancerSettings(lb),
            SpecDigests.LoadBalancerSettings(lb with { Algorithm = LoadBalancingAlgorithm.SourceHash }));
    }

    [Fact]
    public void Deployment_ImageFolderChanged_DigestChanges()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var before = SpecDigests.Deployment(spec);

        folder.WriteFile("images/web/app.py", "print('changed')");

        Assert.NotEqual(before, SpecDigests.Deployment(spec));
    }
}
