using System.Text;
using Strata.Planning.Parameters;
using Strata.Planning.Rendering;
using Strata.Planning.SavedPlans;
using Strata.Planning.Serialization;
using Strata.Planning.State;
using Strata.Testing;
using static Strata.Planning.Tests.TestDeployments;

namespace Strata.Planning.Tests;

[Trait("kind", "unit")]
public sealed class SavedPlanTests
{
    private static readonly byte[] s_key = Encoding.UTF8.GetBytes("installation-key-0123456789");

    [Fact]
    public void WriteRead_Plan_RoundTripsExactly()
    {
        using var folder = new TemporaryDirectory();
        var plan = TestDeployments.Plan(StatusPage(folder));
        var path = folder.Combine("out", "plan.json");

        SavedPlan.Write(path, plan);
        var read = SavedPlan.Read(path);

        Assert.Equal(PlanJson.Serialize(plan), PlanJson.Serialize(read));
        Assert.Equal(PlanRenderer.RenderText(plan), PlanRenderer.RenderText(read));
        Assert.Contains("\"formatVersion\": 1", File.ReadAllText(path));
    }

    [Fact]
    public void EnsureApplicableTo_SameStateAndDigests_DoesNotThrow()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var plan = TestDeployments.Plan(spec);

        plan.EnsureApplicableTo(DeploymentState.Empty("hello"), SpecDigests.Deployment(spec), "hmac-sha256:test");
    }

    [Fact]
    public void EnsureApplicableTo_SerialChanged_ThrowsNamingBothSerials()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var plan = TestDeployments.Plan(spec, DeploymentState.Empty("hello") with { Serial = 7 });

        var error = Assert.Throws<PlanOutOfDateException>(
            () => plan.EnsureApplicableTo(DeploymentState.Empty("hello") with { Serial = 9 }, plan.SpecDigest, plan.ParameterDigest));

        Assert.Equal("the deployment changed since this plan was made (serial 7, now 9); run `strata plan` again", error.Message);
    }

    [Fact]
    public void EnsureApplicableTo_ImageChangedSincePlan_Throws()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var plan = SavedPlanRoundTrip(folder, TestDeployments.Plan(spec));
        folder.WriteFile("images/web/app.py", "print('edited after plan')");

        var error = Assert.Throws<PlanOutOfDateException>(
            () => plan.EnsureApplicableTo(DeploymentState.Empty("hello"), SpecDigests.Deployment(spec), plan.ParameterDigest));

        Assert.Contains("the spec or an image folder changed", error.Message);
    }

    [Fact]
    public void EnsureApplicableTo_ParametersChanged_Throws()
    {
        using var folder = new TemporaryDirectory();
        var spec = StatusPage(folder);
        var digest = ParameterDigest.Compute(spec, s_key);
        var plan = Planner.Plan(spec, DeploymentState.Empty(spec.Name), new PlanOptions { Random = new Random(1), ParameterDigest = digest });
        var changed = spec with { ResolvedParameters = new Dictionary<string, string> { ["dbPassword"] = "other", ["title"] = "Status" } };

        var error = Assert.Throws<PlanOutOfDateException>(
            () => plan.EnsureApplicableTo(DeploymentState.Empty(spec.Name), plan.SpecDigest, ParameterDigest.Compute(changed, s_key)));

        Assert.Contains("parameter values differ", error.Message);
    }

    [Fact]
    public void Read_OtherFormatVersion_RefusedWithClearError()
    {
        using var folder = new TemporaryDirectory();
        var path = folder.Combine("plan.json");
        SavedPlan.Write(path, TestDeployments.Plan(Hello(folder)));
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"formatVersion\": 1", "\"formatVersion\": 99", StringComparison.Ordinal));

        var error = Assert.Throws<InvalidDataException>(() => SavedPlan.Read(path));

        Assert.Contains("format version 99", error.Message);
    }

    [Fact]
    public void Read_NotJson_RefusedWithClearError()
    {
        using var folder = new TemporaryDirectory();
        var path = folder.WriteFile("plan.json", "this is not a plan");

        var error = Assert.Throws<InvalidDataException>(() => SavedPlan.Read(path));

        Assert.Contains("is not a saved plan", error.Message);
    }

    [Fact]
    public void Read_MissingFile_ThrowsFileNotFound()
    {
        using var folder = new TemporaryDirectory();

        Assert.Throws<FileNotFoundException>(() => SavedPlan.Read(folder.Combine("none.json")));
    }

    [Fact]
    public void Write_PlanWithProblems_Refused()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        Directory.Delete(folder.Combine("images"), recursive: true);

        var error = Assert.Throws<InvalidOperationException>(() => SavedPlan.Write(folder.Combine("plan.json"), TestDeployments.Plan(spec)));

        Assert.Contains("images.web", error.Message);
    }

    [Fact]
    public async Task Write_ManyAtOnceToOnePath_EachSucceedsAndReadersOnlySeeWholePlans()
    {
        using var folder = new TemporaryDirectory();
        var plan = TestDeployments.Plan(StatusPage(folder));
        var path = folder.Combine("out", "plan.json");
        SavedPlan.Write(path, plan);
        using var start = new Barrier(4);

        var writing = Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(30));
            for (var i = 0; i < 200; i++)
            {
                SavedPlan.Write(path, plan);
            }
        })));
        while (!writing.IsCompleted)
        {
            Assert.Equal(PlanJson.Serialize(plan), PlanJson.Serialize(SavedPlan.Read(path)));
        }

        await writing.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(["plan.json"], Directory.GetFiles(folder.Combine("out")).Select(Path.GetFileName));
    }

    private static Plan SavedPlanRoundTrip(TemporaryDirectory folder, Plan plan)
    {
        var path = folder.Combine("plan.json");
        SavedPlan.Write(path, plan);
        return SavedPlan.Read(path);
    }
}
