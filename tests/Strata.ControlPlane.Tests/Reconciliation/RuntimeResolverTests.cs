using Strata.ControlPlane.Reconciliation;
using Strata.Planning.Images;
using Strata.Planning.State;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;
using ServerIdentity = Strata.Providers.ServerIdentity;

namespace Strata.ControlPlane.Tests.Reconciliation;

[Trait("kind", "unit")]
public sealed class RuntimeResolverTests
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly DeploymentSpec _spec = Specs.Load(Specs.Shop);

    [Fact]
    public void Resolve_FirstServerOfTier_IsOldestLiveServerWithAddress()
    {
        var state = WithDb(
            Db("shop-db-newer", "127.0.10.4", ServerStatus.InService, minute: 5),
            Db("shop-db-failed", "127.0.10.2", ServerStatus.Failed, minute: 0),
            Db("shop-db-leaving", "127.0.10.6", ServerStatus.Terminating, minute: 1),
            Db("shop-db-pending", null, ServerStatus.Pending, minute: 2),
            Db("shop-db-oldest", "127.0.10.3", ServerStatus.Booting, minute: 3));

        var resolver = Resolver(state);

        Assert.Equal("127.0.10.3", Evaluate("${tiers.db.servers[0].address}", resolver).Text);
        Assert.Equal("127.0.10.4", Evaluate("${tiers.db.servers[1].address}", resolver).Text);
        Assert.Equal("shop-db-oldest", Evaluate("${tiers.db.servers[0].name}", resolver).Text);
        Assert.Equal("127.0.10.3,127.0.10.4", Evaluate("${tiers.db.servers[*].address}", resolver).Text);
    }

    [Fact]
    public void Resolve_TierWithoutServers_IsUnknown()
    {
        var resolver = Resolver(DeploymentState.Empty("shop"));

        var value = Evaluate("${tiers.db.servers[0].address}", resolver);

        Assert.False(value.IsKnown);
        Assert.Equal(TemplateValue.KnownAfterApplyText, value.Display);
        Assert.False(Evaluate("${tiers.db.servers[*].address}", resolver).IsKnown);
    }

    [Fact]
    public void Resolve_IndexBeyondLiveServers_IsUnknown()
    {
        var resolver = Resolver(WithDb(Db("shop-db-a", "127.0.10.3", ServerStatus.InService, 0)));

        Assert.False(Evaluate("${tiers.db.servers[1].address}", resolver).IsKnown);
    }

    [Fact]
    public void Resolve_TierPort_IsThePortFromTheSpec()
    {
        var resolver = Resolver(DeploymentState.Empty("shop"));

        Assert.Equal("5432", Evaluate("${tiers.db.ports.postgres}", resolver).Text);
    }

    [Fact]
    public void Resolve_UnknownTier_RefersToNothing()
    {
        var resolver = Resolver(DeploymentState.Empty("shop"));

        Assert.Throws<TemplateException>(() => Evaluate("${tiers.cache.servers[0].address}", resolver));
    }

    [Fact]
    public void Resolve_SelfAddress_IsTheLaunchedServersAddress()
    {
        var self = new ServerIdentity("shop-web-k3x9a1", "shop-web-k3x9a1", "shop", "web", "local-b", "127.0.10.9", "/srv/root", "/srv/config", new Dictionary<string, string>());
        var resolver = Resolver(DeploymentState.Empty("shop"), self);

        Assert.Equal("python3 server.py --bind 127.0.10.9:8000", TemplateEvaluator.Evaluate(_spec.FindImage("app")!.Run, resolver).Text);
        Assert.Equal("shop-web-k3x9a1 web local-b", Evaluate("${self.name} ${self.tier} ${self.zone}", resolver).Text);
        Assert.Equal("server shop-web-k3x9a1", resolver.Name);
    }

    [Fact]
    public void Resolve_SelfWithoutServer_IsUnknown()
    {
        var resolver = Resolver(DeploymentState.Empty("shop"));

        Assert.False(Evaluate("${self.address}", resolver).IsKnown);
        Assert.Equal("deployment shop", resolver.Name);
    }

    [Fact]
    public void Resolve_SecretParameter_IsMarkedSecret()
    {
        var resolver = Resolver(DeploymentState.Empty("shop"));

        var secret = Evaluate("${params.dbPassword}", resolver);
        var plain = Evaluate("${params.region}", resolver);

        Assert.True(secret.IsSecret);
        Assert.Equal(Specs.SecretPassword, secret.Text);
        Assert.Equal(TemplateValue.SecretText, secret.Display);
        Assert.False(plain.IsSecret);
        Assert.Equal("eu", plain.Display);
    }

    [Fact]
    public void Parameters_ValueGiven_OverridesDefault()
    {
        var values = RuntimeResolver.Parameters(_spec, new Dictionary<string, string> { ["region"] = "us", ["dbPassword"] = "x" });

        Assert.Equal("us", values["region"].Text);
        Assert.True(values["dbPassword"].IsSecret);
    }

    [Fact]
    public void Parameters_SecretWithoutValueOrDefault_IsUnknown()
    {
        var values = RuntimeResolver.Parameters(_spec, new Dictionary<string, string>());

        Assert.False(values["dbPassword"].IsKnown);
        Assert.Equal("eu", values["region"].Text);
    }

    /// <summary>Every kind of reference, with the value it has for the servers of <see cref="AgreementState"/> and <see cref="s_self"/>.</summary>
    public static TheoryData<string, string> ReferenceKinds => new()
    {
        { "${params.region}", "eu" },
        { "${params.dbPassword}", Specs.SecretPassword },
        { "${deployment.name}", "tls" },
        { "${loadBalancers.front.address}", "127.0.0.1" },
        { "${loadBalancers.front.port}", "8443" },
        { "${loadBalancers.front.listen}", "127.0.0.1:8443" },
        { "${loadBalancers.front.url}", "https://127.0.0.1:8443" },
        { "${tiers.db.ports.postgres}", "5432" },
        { "${tiers.db.servers[0].address}", "127.0.10.3" },
        { "${tiers.db.servers[0].name}", "tls-db-a" },
        { "${tiers.db.servers[0].zone}", "local-a" },
        { "${tiers.db.servers[0].id}", "tls-db-a" },
        { "${tiers.db.servers[*].address}", "127.0.10.3,127.0.10.4" },
        { "${tiers.db.servers[*].id}", "tls-db-a,tls-db-b" },
        { "${self.address}", "127.0.10.9" },
        { "${self.name}", "tls-web-k3x9a1" },
        { "${self.tier}", "web" },
        { "${self.zone}", "local-b" },
        { "${self.id}", "tls-web-k3x9a1" },
    };

    [Theory]
    [MemberData(nameof(ReferenceKinds))]
    public void Resolve_EveryReferenceKind_AgreesWithThePlansResolver(string template, string expected)
    {
        var spec = Specs.Load(TlsSpec);
        var state = AgreementState();
        var plan = new SpecReferenceResolver(spec)
        {
            Self = new ServerReference("tls-web-k3x9a1", "127.0.10.9", "web", "local-b", "tls-web-k3x9a1"),
            Servers = new Dictionary<string, IReadOnlyList<ServerReference>>
            {
                ["db"] = [new("tls-db-a", "127.0.10.3", "db", "local-a", "tls-db-a"), new("tls-db-b", "127.0.10.4", "db", "local-a", "tls-db-b")],
            },
        };
        var runtime = new RuntimeResolver(spec, RuntimeResolver.Parameters(spec, spec.ResolvedParameters), state, s_self);

        var planned = Evaluate(template, plan);
        var run = Evaluate(template, runtime);

        Assert.Equal(expected, planned.Text);
        Assert.Equal(expected, run.Text);
        Assert.Equal(planned.IsSecret, run.IsSecret);
    }

    [Fact]
    public void Resolve_DeploymentName_IsSpecName()
    {
        Assert.Equal("shop", Evaluate("${deployment.name}", Resolver(DeploymentState.Empty("shop"))).Text);
    }

    private const string TlsSpec = """
        deployment: tls
        parameters:
          dbPassword: { secret: true }
          region: { default: eu }
        images:
          app: { from: ./app, run: x }
        tiers:
          db: { image: app, servers: 2, ports: { postgres: 5432 } }
          web: { image: app, servers: 1, ports: { http: 8000 } }
        loadBalancers:
          front:
            listen: 127.0.0.1:8443
            to: web:http
            tls: { certificate: certs/front.pem, key: certs/front.key }
        """;

    private static readonly ServerIdentity s_self =
        new("tls-web-k3x9a1", "tls-web-k3x9a1", "tls", "web", "local-b", "127.0.10.9", "/srv/root", "/srv/config", new Dictionary<string, string>());

    private static DeploymentState AgreementState() => WithDb(
        Db("tls-db-b", "127.0.10.4", ServerStatus.InService, minute: 2),
        Db("tls-db-a", "127.0.10.3", ServerStatus.InService, minute: 1)) with { Name = "tls" };

    private RuntimeResolver Resolver(DeploymentState state, ServerIdentity? self = null) =>
        new(_spec, RuntimeResolver.Parameters(_spec, _spec.ResolvedParameters), state, self);

    private static TemplateValue Evaluate(string template, IReferenceResolver resolver) =>
        TemplateEvaluator.Evaluate(TemplateParser.Parse(template), resolver);

    private static DeploymentState WithDb(params ServerState[] servers) => DeploymentState.Empty("shop") with
    {
        Tiers =
        [
            new TierState
            {
                LogicalName = "db",
                ImageDigest = "sha256:image",
                LaunchDigest = "sha256:launch",
                SettingsDigest = "sha256:settings",
                Count = new TierCount(1, 1, 1),
                Servers = servers,
            },
        ],
    };

    private static ServerState Db(string name, string? address, ServerStatus state, int minute) => new()
    {
        Name = name,
        Tier = "db",
        Zone = "local-a",
        Address = address,
        State = state,
        ImageDigest = "sha256:image",
        LaunchDigest = "sha256:launch",
        LaunchedAt = s_start.AddMinutes(minute),
    };
}
