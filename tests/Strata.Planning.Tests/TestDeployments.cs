using Strata.Planning.Parameters;
using Strata.Planning.State;
using Strata.Spec.Model;
using Strata.Testing;

namespace Strata.Planning.Tests;

/// <summary>Specs built as records over image folders written into a temporary folder.</summary>
internal static class TestDeployments
{
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public const string SecretValue = "hunter2-not-for-plans";

    public static Template T(string raw) => new(raw, SourceLocation.None);

    public static ImageSpec Image(TemporaryDirectory folder, string name, string content = "print('hello')")
    {
        folder.WriteFile($"images/{name}/app.py", content);
        folder.WriteFile($"images/{name}/static/index.html", $"<h1>{name}</h1>");
        return new ImageSpec { Name = name, From = $"images/{name}", Run = T("python3 app.py") };
    }

    public static TierSpec Tier(string name, string image, int servers = 2) => new()
    {
        Name = name,
        Image = image,
        Servers = ServerCount.Fixed(servers),
        Ports = [new PortSpec("http", 8000, SourceLocation.None)],
    };

    public static LoadBalancerSpec LoadBalancer(string name, string tier) => new()
    {
        Name = name,
        ListenHost = "127.0.0.1",
        ListenPort = 8080,
        TargetTier = tier,
        TargetPort = 8000,
    };

    /// <summary>A web tier behind a load balancer: the shape of the <c>hello</c> example.</summary>
    public static DeploymentSpec Hello(TemporaryDirectory folder, int servers = 3) => new()
    {
        Name = "hello",
        SourceFile = folder.Combine("strata.yaml"),
        Images = [Image(folder, "web")],
        Tiers = [Tier("web", "web", servers) with { Health = new HealthCheckSpec { Kind = HealthCheckKind.Http, Path = "/healthz" } }],
        LoadBalancers = [LoadBalancer("front", "web")],
        Firewall = [new FirewallRuleSpec(FirewallRuleSpec.Any, "front", 8080, FirewallProtocol.Tcp, SourceLocation.None)],
        Outputs = [new OutputSpec("url", T("${loadBalancers.front.url}"), SourceLocation.None)],
    };

    /// <summary>A web tier talking to a database tier with a volume: the shape of the <c>status-page</c> example.</summary>
    public static DeploymentSpec StatusPage(TemporaryDirectory folder) => new()
    {
        Name = "status",
        SourceFile = folder.Combine("strata.yaml"),
        Parameters = [new ParameterSpec { Name = "dbPassword", Secret = true }, new ParameterSpec { Name = "title", Default = "Status" }],
        ResolvedParameters = new Dictionary<string, string> { ["dbPassword"] = SecretValue, ["title"] = "Status" },
        Images = [Image(folder, "web"), Image(folder, "db", "print('db')")],
        Tiers =
        [
            Tier("web", "web", 2) with
            {
                Env = new Dictionary<string, Template>
                {
                    ["DB_URL"] = T("postgres://${tiers.db.servers[0].address}:5432/status"),
                    ["DB_PASSWORD"] = T("${params.dbPassword}"),
                    ["TITLE"] = T("Status"),
                },
                Zones = ["local-a", "local-b"],
            },
            Tier("db", "db", 1) with
            {
                Ports = [new PortSpec("pg", 5432, SourceLocation.None)],
                Volumes = [new VolumeSpec { Name = "data", Mount = "data", SizeBytes = 1L << 30 }],
                DeletionPolicy = DeletionPolicy.Snapshot,
            },
        ],
        LoadBalancers = [LoadBalancer("front", "web")],
        Firewall =
        [
            new FirewallRuleSpec(FirewallRuleSpec.Any, "front", 8080, FirewallProtocol.Tcp, SourceLocation.None),
            new FirewallRuleSpec("web", "db", 5432, FirewallProtocol.Tcp, SourceLocation.None),
        ],
        Outputs =
        [
            new OutputSpec("url", T("${loadBalancers.front.url}"), SourceLocation.None),
            new OutputSpec("title", T("Status"), SourceLocation.None),
        ],
    };

    public static PlanOptions Options(int seed = 42, long now = 0) => new()
    {
        Random = new Random(seed),
        TimeProvider = new ManualTimeProvider(Now.AddMinutes(now)),
        ParameterDigest = "hmac-sha256:test",
    };

    public static Plan Plan(DeploymentSpec spec, DeploymentState? state = null, int seed = 42) =>
        Planner.Plan(spec, state ?? DeploymentState.Empty(spec.Name), Options(seed));
}
