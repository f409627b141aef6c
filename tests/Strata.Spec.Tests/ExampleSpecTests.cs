using Strata.Spec.Diagnostics;
using Strata.Spec.Interpolation;
using Strata.Spec.Loading;
using Strata.Spec.Model;
using Strata.Spec.Parameters;
using Strata.Spec.Validation;

namespace Strata.Spec.Tests;

[Trait("kind", "unit")]
public sealed class ExampleSpecTests
{
    [Fact]
    public void Load_HelloExample_HasNoDiagnostics()
    {
        var result = SpecLoader.Load(SpecFiles.Example("hello"), ParameterValues.Empty);

        Assert.True(result.Success, SpecFiles.Render(result));
        Assert.Empty(result.Diagnostics);
        var spec = result.Spec!;
        Assert.Equal("hello", spec.Name);
        var web = Assert.Single(spec.Tiers);
        Assert.Equal(ServerCount.Fixed(3), web.Servers);
        Assert.Equal(new PortSpec("http", 8000, web.Ports[0].Location), web.Ports[0]);
        Assert.Equal(HealthCheckKind.Http, web.Health!.Kind);
        Assert.Equal("/healthz", web.Health.Path);
        Assert.Equal(TimeSpan.FromSeconds(1), web.Health.Interval);
        var front = Assert.Single(spec.LoadBalancers);
        Assert.Equal(("127.0.0.1", 8080, "web", 8000), (front.ListenHost, front.ListenPort, front.TargetTier, front.TargetPort));
        Assert.Equal("url", Assert.Single(spec.Outputs).Name);
    }

    [Fact]
    public void Load_HelloExample_RunCommandBindsToOwnAddress()
    {
        var spec = SpecLoader.Load(SpecFiles.Example("hello"), ParameterValues.Empty).Spec!;
        var self = new LiveServer("hello-web-1", "127.0.1.5", "web", "local-a");

        var run = TemplateEvaluator.Evaluate(spec.Images[0].Run, FixedReferenceSource.For(spec, self));
        var url = TemplateEvaluator.Evaluate(spec.Outputs[0].Value, ReferenceResolver.ForPlan(spec));

        Assert.Equal("python3 server.py --bind 127.0.1.5:8000", run.Text);
        Assert.Equal("http://127.0.0.1:8080", url.Text);
    }

    [Fact]
    public void Load_StatusPageExampleWithoutPassword_IsValidForValidate()
    {
        var result = SpecLoader.Load(SpecFiles.Example("status-page"), ParameterValues.Empty.WithAllowMissing());

        Assert.True(result.Success, SpecFiles.Render(result));
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void Load_StatusPageExampleWithPassword_ResolvesEverything()
    {
        var values = ParameterValues.Empty.With("dbPassword", "s3cret").With("webServers", "3");

        var result = SpecLoader.Load(SpecFiles.Example("status-page"), values);

        Assert.True(result.Success, SpecFiles.Render(result));
        var spec = result.Spec!;
        var db = spec.FindTier("db")!;
        var web = spec.FindTier("web")!;
        Assert.Equal(new ServerCount(1, 8, 3), web.Servers);
        Assert.Equal(DeletionPolicy.Snapshot, db.DeletionPolicy);
        Assert.Equal(VolumeRecovery.RestoreLatest, db.VolumeRecovery);
        Assert.Equal(1L << 30, Assert.Single(db.Volumes).SizeBytes);
        Assert.Equal([BackupKind.Snapshot, BackupKind.Service], db.Backups.Select(b => b.Kind));
        Assert.Equal(TimeSpan.FromHours(24), db.Backups[1].VerifyEvery);
        Assert.Equal(3, spec.Firewall.Count);
        Assert.Equal(["images.web", "images.db", "tiers.db", "tiers.web", "loadBalancers.front"], DependencyGraph.ResourceOrder(spec));
    }

    [Fact]
    public void Load_StatusPageExampleWithoutPassword_FailsForPlanNamingTheParameter()
    {
        var result = SpecLoader.Load(SpecFiles.Example("status-page"), ParameterValues.Empty);

        var error = Assert.Single(result.Diagnostics);
        Assert.False(result.Success);
        Assert.Equal(DiagnosticCodes.MissingParameter, error.Code);
        Assert.Equal("parameter 'dbPassword' has no value", error.Message);
        Assert.Contains("STRATA_PARAM_DBPASSWORD", error.Hint);
    }

    [Fact]
    public void Evaluate_StatusPageSecretInEnv_IsRedactedForDisplay()
    {
        var spec = SpecLoader.Load(SpecFiles.Example("status-page"), ParameterValues.Empty.With("dbPassword", "s3cret")).Spec!;

        var value = TemplateEvaluator.Evaluate(spec.FindTier("web")!.Env["DB_PASSWORD"], ReferenceResolver.ForPlan(spec));
        var host = TemplateEvaluator.Evaluate(spec.FindTier("web")!.Env["DB_HOST"], ReferenceResolver.ForPlan(spec));

        Assert.Equal("s3cret", value.Text);
        Assert.Equal("(secret)", value.Display);
        Assert.Equal("(known after apply)", host.Display);
    }
}
