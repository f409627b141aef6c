using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning;
using Strata.Planning.State;
using Strata.Spec;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;
using ServerIdentity = Strata.Providers.ServerIdentity;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>
/// Every kind of reference, written in a tier's <c>env</c>, as the plan shows it and as a server is launched with it:
/// the same value, or <c>(known after apply)</c> in the plan exactly where the launch reads live servers.
/// </summary>
[Trait("kind", "unit")]
public sealed class ReferenceAgreementTests
{
    private const string Secret = "s3cret value";

    /// <summary>A reference, the value a server of <c>web</c> is launched with, and whether a plan knows it.</summary>
    public static TheoryData<string, string, bool> ReferenceKinds => new()
    {
        { "${params.region}", "eu", true },
        { "${params.dbPassword}", Secret, true },
        { "${params.debug}", "true", true },
        { "${params.verbose}", "true", true },
        { "${deployment.name}", "tls", true },
        { "${loadBalancers.front.address}", "127.0.0.1", true },
        { "${loadBalancers.front.port}", "8443", true },
        { "${loadBalancers.front.listen}", "127.0.0.1:8443", true },
        { "${loadBalancers.front.url}", "https://127.0.0.1:8443", true },
        { "${tiers.db.ports.postgres}", "5432", true },
        { "${tiers.db.servers[0].address}", "127.0.10.3", false },
        { "${tiers.db.servers[1].name}", "tls-db-b", false },
        { "${tiers.db.servers[0].zone}", "local-a", false },
        { "${tiers.db.servers[0].id}", "tls-db-a", false },
        { "${tiers.db.servers[*].address}", "127.0.10.3,127.0.10.4", false },
        { "${tiers.db.servers[*].name}", "tls-db-a,tls-db-b", false },
        { "${tiers.db.servers[*].zone}", "local-a,local-a", false },
        { "${tiers.db.servers[*].id}", "tls-db-a,tls-db-b", false },
        { "${self.address}", "127.0.10.9", false },
        { "${self.name}", "tls-web-k3x9a1", false },
        { "${self.tier}", "web", false },
        { "${self.zone}", "local-b", false },
        { "${self.id}", "tls-web-k3x9a1", false },
        { "${join(tiers.db.servers[*].address, ' ')}:${tiers.db.ports.postgres}", "127.0.10.3 127.0.10.4:5432", false },
        { "${upper(default(params.empty, 'x'))}-${lower(params.region)}", "X-eu", true },
    };

    [Theory]
    [MemberData(nameof(ReferenceKinds))]
    public void PlanAndLaunch_EveryReferenceKind_AgreeOrPlanSaysKnownAfterApply(string template, string launched, bool knownAtPlan)
    {
        var desired = Desired(template);
        var secret = template.Contains("dbPassword", StringComparison.Ordinal);

        var planned = PlannedEnvironment(desired)["env.VALUE"];
        var settings = LaunchSettingsBuilder.Build(desired, LiveState(), desired.Spec.FindTier("web")!, s_self);

        Assert.Equal(launched, settings.Environment["VALUE"]);
        Assert.Equal(!knownAtPlan ? AttributeChange.KnownAfterApply : secret ? AttributeChange.Secret : launched, planned);
    }

    [Fact]
    public void ReferenceKinds_CoverEveryReferenceOfTheGrammar()
    {
        var covered = ReferenceKinds.Select(row => (string)row[0])
            .SelectMany(t => TemplateParser.Parse(t).Paths())
            .Select(p => Shape(Reference.Parse(p)!))
            .ToHashSet(StringComparer.Ordinal);
        var kinds = typeof(Reference).Assembly.GetExportedTypes().Where(t => t.IsSubclassOf(typeof(Reference)) && !t.IsAbstract).Select(t => t.Name);
        var grammar = kinds
            .Where(k => k is not (nameof(SelfReference) or nameof(TierServerReference) or nameof(LoadBalancerReference)))
            .Concat(Reference.SelfAttributes.Select(a => $"{nameof(SelfReference)}.{a}"))
            .Concat(Reference.ServerAttributes.SelectMany(a => new[] { $"{nameof(TierServerReference)}[i].{a}", $"{nameof(TierServerReference)}[*].{a}" }))
            .Concat(Reference.LoadBalancerAttributes.Select(a => $"{nameof(LoadBalancerReference)}.{a}"));

        Assert.Empty(grammar.Except(covered));
    }

    [Fact]
    public void KnownAtPlan_IsExactlyWhereNoLiveServerIsRead()
    {
        foreach (var row in ReferenceKinds)
        {
            var references = TemplateParser.Parse((string)row[0]).Paths().Select(p => Reference.Parse(p)!);

            Assert.Equal((bool)row[2], references.All(r => r.ServersOf is null && !r.NeedsSelf));
        }
    }

    /// <summary>The kind of <paramref name="reference"/> and, where it has one, its attribute as written.</summary>
    private static string Shape(Reference reference) => reference switch
    {
        SelfReference => $"{nameof(SelfReference)}.{reference.Path.Segments[^1].Name}",
        TierServerReference server => $"{nameof(TierServerReference)}[{(server.Index is null ? "*" : "i")}].{reference.Path.Segments[^1].Name}",
        LoadBalancerReference => $"{nameof(LoadBalancerReference)}.{reference.Path.Segments[^1].Name}",
        _ => reference.GetType().Name,
    };

    private static readonly ServerIdentity s_self =
        new("tls-web-k3x9a1", "tls-web-k3x9a1", "tls", "web", "local-b", "127.0.10.9", "/srv/root", "/srv/config", new Dictionary<string, string>());

    /// <summary>The spec applied with its parameters as the control plane loads it; <paramref name="template"/> is <c>web</c>'s <c>VALUE</c>.</summary>
    private static DesiredDeployment Desired(string template) => SpecSource.Parse(
        $$"""
        deployment: tls
        parameters:
          dbPassword: { secret: true }
          region: { default: eu }
          empty: { default: "" }
          debug: { type: bool }
          verbose: { type: bool, default: "on" }
        images:
          app: { from: ./app, run: x }
        tiers:
          db: { image: app, servers: 2, ports: { postgres: 5432 } }
          web: { image: app, servers: 1, ports: { http: 8000 }, env: { VALUE: "{{template}}" } }
        loadBalancers:
          front:
            listen: 127.0.0.1:8443
            to: web:http
            tls: { certificate: certs/front.pem, key: certs/front.key }
        """,
        "/srv/tls/strata.yaml",
        new Dictionary<string, string> { ["dbPassword"] = Secret, ["debug"] = "yes" },
        new Dictionary<string, string> { ["app"] = AppliedDeployments.ImageDigest });

    private static Dictionary<string, string?> PlannedEnvironment(DesiredDeployment desired)
    {
        var plan = Planner.Plan(desired.Spec, DeploymentState.Empty("tls"), new PlanOptions { ComputeImageDigest = _ => AppliedDeployments.ImageDigest, Random = new Random(7) });
        return plan.Changes.Single(c => c.Address == "tiers.web").Attributes.ToDictionary(a => a.Name, a => a.After, StringComparer.Ordinal);
    }

    private static DeploymentState LiveState() => RecordedTiers.With(
        "tls", "db", 2, RecordedTiers.Db("tls-db-b", "127.0.10.4", ServerStatus.InService, minute: 2), RecordedTiers.Db("tls-db-a", "127.0.10.3", ServerStatus.InService, minute: 1));
}
