using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Strata.Planning.Rendering;
using Strata.Planning.State;
using Strata.Spec.Loading;
using Strata.Spec.Model;
using Strata.Spec.Parameters;
using Strata.Testing;
using static Strata.Planning.Tests.TestDeployments;

namespace Strata.Planning.Tests;

/// <summary>
/// Plan text compared with files under <c>Golden/</c>. A mismatch leaves the actual text next to the golden file as
/// <c>.received.txt</c>; after an intended change, <c>tests/update-golden.sh</c> moves those over the golden files.
/// These tests never write a golden file themselves, so no setting can make them pass.
/// </summary>
[Trait("kind", "unit")]
public sealed class GoldenTests
{
    [Fact]
    public void RenderText_HelloRecordsAgainstEmptyState_MatchesGolden()
    {
        using var folder = new TemporaryDirectory();

        AssertGolden("hello-records-empty.txt", PlanRenderer.RenderText(TestDeployments.Plan(Hello(folder))));
    }

    [Fact]
    public void RenderText_StatusPageRecordsAgainstEmptyState_MatchesGolden()
    {
        using var folder = new TemporaryDirectory();

        AssertGolden("status-page-records-empty.txt", PlanRenderer.RenderText(TestDeployments.Plan(StatusPage(folder))));
    }

    [Fact]
    public void RenderText_StatusPageChanged_MatchesGolden()
    {
        using var folder = new TemporaryDirectory();
        var spec = StatusPage(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));
        state = state with { Serial = 7, Images = [.. state.Images.Select(i => i with { Digest = "sha256:" + new string('0', 64) })] };
        var changed = spec with
        {
            Tiers = [spec.Tiers[0] with { Servers = ServerCount.Fixed(4) }],
            LoadBalancers = [spec.LoadBalancers[0] with { Algorithm = LoadBalancingAlgorithm.LeastConnections }],
            Firewall = [spec.Firewall[0]],
            Images = [spec.Images[0]],
        };

        AssertGolden("status-page-records-changed.txt", PlanRenderer.RenderText(TestDeployments.Plan(changed, state, seed: 3)));
    }

    [Fact]
    public void RenderText_HelloExampleAgainstEmptyState_MatchesGolden()
    {
        var spec = LoadExample("hello", ParameterValues.Empty);

        AssertGolden("hello-example-empty.txt", PlanRenderer.RenderText(PlanExample(spec)));
    }

    [Fact]
    public void RenderText_StatusPageExampleAgainstEmptyState_MatchesGolden()
    {
        var spec = LoadExample("status-page", ParameterValues.Empty.With("dbPassword", SecretValue));

        var text = PlanRenderer.RenderText(PlanExample(spec));

        AssertGolden("status-page-example-empty.txt", text);
        Assert.DoesNotContain(SecretValue, text);
    }

    private static Plan PlanExample(DeploymentSpec spec) =>
        Planner.Plan(spec, DeploymentState.Empty(spec.Name), new PlanOptions
        {
            Random = new Random(42),
            TimeProvider = new ManualTimeProvider(Now),
            // Digests of the real folders would make these files change with every edit of an example's code.
            ComputeImageDigest = folder => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFileName(folder)))),
        });

    private static DeploymentSpec LoadExample(string name, ParameterValues values)
    {
        var result = SpecLoader.Load(Path.Combine(RepositoryRoot(), "examples", name, "strata.yaml"), values);
        Assert.True(result.Success, string.Join(Environment.NewLine, result.Diagnostics));
        return result.Spec!;
    }

    private static void AssertGolden(string file, string actual, [CallerFilePath] string source = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(source)!, "Golden", file);
        var received = Path.ChangeExtension(path, ".received.txt");
        var expected = File.Exists(path) ? File.ReadAllText(path) : null;
        if (expected != actual)
        {
            File.WriteAllText(received, actual);
            Assert.Fail($"The plan text differs from {path}; the actual text is in {received}.");
        }

        File.Delete(received);
    }

    private static string RepositoryRoot([CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", ".."));
}
