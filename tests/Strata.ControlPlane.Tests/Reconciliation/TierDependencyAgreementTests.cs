using Strata.ControlPlane.Reconciliation;
using Strata.Planning;
using Strata.Planning.State;
using Strata.Planning.Tiers;
using Strata.Spec;
using Strata.Spec.Interpolation;
using Strata.Spec.Validation;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>
/// Whether <c>web</c> needs <c>db</c> first, asked of the three places that order tiers: spec validation's dependency
/// graph, the plan's tier order, and the control plane's launch gate. docs/spec.md (Ordering): <c>dependsOn</c> and
/// every reference to another tier's servers in the tier's env, its health command, or its image's run, env and hooks.
/// </summary>
[Trait("kind", "unit")]
public sealed class TierDependencyAgreementTests
{
    /// <summary>Where <c>web</c> may refer to <c>db</c>: in its image <c>webapp</c> (after <c>run</c>) or in the tier itself.</summary>
    public static TheoryData<string, string, string, bool> Places => new()
    {
        { "tier env", "run: serve", """env: { DB: "${tiers.db.servers[0].address}" }""", true },
        { "health command", "run: serve", """health: { command: "pg_isready -h ${tiers.db.servers[0].address}" }""", true },
        { "dependsOn", "run: serve", "dependsOn: [db]", true },
        { "image run", """run: "serve --db ${join(tiers.db.servers[*].address, ',')}" """, "servers: 2", true },
        { "image env", """run: serve, env: { DB: "${tiers.db.servers[0].name}" }""", "servers: 2", true },
        { "image hook", """run: serve, hooks: { configure: "wait-for ${tiers.db.servers[0].address}" }""", "servers: 2", true },
        { "port of the other tier", "run: serve", """env: { DB_PORT: "${tiers.db.ports.postgres}" }""", false },
        { "own servers", "run: serve", """env: { PEERS: "${tiers.web.servers[*].address}" }""", false },
    };

    [Theory]
    [MemberData(nameof(Places))]
    public void DependsOnDb_ValidationPlanAndLaunchGate_Agree(string place, string image, string tier, bool needsDb)
    {
        var spec = Specs.Load($$"""
            deployment: deps
            images:
              app: { from: ./app, run: serve }
              webapp: { from: ./web, {{image}} }
            tiers:
              db: { image: app, ports: { postgres: 5432 } }
              web: { image: webapp, {{tier}} }
            """);
        var web = spec.FindTier("web")!;

        var graph = DependencyGraph.Build(spec).DependenciesOf("tiers.web").Contains("tiers.db");
        var plan = TierOrder.DependenciesOf(spec, web).Contains("db");
        var gate = LaunchGate.WaitingFor(spec, DbNotInService(), web) == "db";

        Assert.True(graph == needsDb, $"{place}: the dependency graph says {graph}");
        Assert.True(plan == needsDb, $"{place}: the plan's tier order says {plan}");
        Assert.True(gate == needsDb, $"{place}: the launch gate says {gate}");
    }

    private static DeploymentState DbNotInService() => RecordedTiers.With("deps", "db", 1);
}
