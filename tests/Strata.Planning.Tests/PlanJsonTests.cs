using System.Text;
using Strata.Planning.Parameters;
using Strata.Planning.Serialization;
using Strata.Planning.State;
using Strata.Testing;
using static Strata.Planning.Tests.TestDeployments;

namespace Strata.Planning.Tests;

[Trait("kind", "unit")]
public sealed class PlanJsonTests
{
    [Fact]
    public void Serialize_Plan_CamelCaseWithEnumsAsStrings()
    {
        using var folder = new TemporaryDirectory();

        var json = PlanJson.Serialize(TestDeployments.Plan(Hello(folder)));

        Assert.Contains("\"deploymentName\": \"hello\"", json);
        Assert.Contains("\"action\": \"Create\"", json);
        Assert.Contains("\"kind\": \"Tier\"", json);
        Assert.Contains("\"summary\": {", json);
    }

    [Fact]
    public void Serialize_AppliedState_RoundTrips()
    {
        using var folder = new TemporaryDirectory();
        var spec = StatusPage(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));

        var json = PlanJson.Serialize(state);
        var read = PlanJson.DeserializeState(json);

        Assert.Equal(json, PlanJson.Serialize(read));
        Assert.Contains("\"state\": \"InService\"", json);
        Assert.False(TestDeployments.Plan(spec, read).HasChanges);
    }

    [Fact]
    public void DeserializePlan_MissingRequiredMember_Throws()
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => PlanJson.DeserializePlan("{\"deploymentName\":\"x\"}"));
    }
}

[Trait("kind", "unit")]
public sealed class ParameterDigestTests
{
    private static readonly byte[] s_key = Encoding.UTF8.GetBytes("installation-key-0123456789");
    private static readonly byte[] s_otherKey = Encoding.UTF8.GetBytes("another-installation-key-xyz");

    [Fact]
    public void Compute_SameValues_SameDigest()
    {
        using var folder = new TemporaryDirectory();
        var spec = StatusPage(folder);

        Assert.Equal(ParameterDigest.Compute(spec, s_key), ParameterDigest.Compute(spec, s_key));
        Assert.StartsWith("hmac-sha256:", ParameterDigest.Compute(spec, s_key));
    }

    [Fact]
    public void Compute_SecretChanged_DigestChanges()
    {
        using var folder = new TemporaryDirectory();
        var spec = StatusPage(folder);
        var changed = spec with { ResolvedParameters = new Dictionary<string, string> { ["dbPassword"] = "x", ["title"] = "Status" } };

        Assert.NotEqual(ParameterDigest.Compute(spec, s_key), ParameterDigest.Compute(changed, s_key));
    }

    [Fact]
    public void Compute_OtherInstallationKey_DigestDiffers()
    {
        using var folder = new TemporaryDirectory();
        var spec = StatusPage(folder);

        Assert.NotEqual(ParameterDigest.Compute(spec, s_key), ParameterDigest.Compute(spec, s_otherKey));
    }

    [Fact]
    public void Compute_ShortKey_Throws()
    {
        using var folder = new TemporaryDirectory();

        Assert.Throws<ArgumentException>(() => ParameterDigest.Compute(StatusPage(folder), "short"u8));
    }
}
