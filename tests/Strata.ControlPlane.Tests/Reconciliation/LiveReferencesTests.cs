using Strata.ControlPlane.Reconciliation;
using Strata.Planning;
using Strata.Planning.State;
using Strata.Spec;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;
using ServerIdentity = Strata.Providers.ServerIdentity;
using static Strata.ControlPlane.Tests.Reconciliation.RecordedTiers;

namespace Strata.ControlPlane.Tests.Reconciliation;

[Trait("kind", "unit")]
public sealed class LiveReferencesTests
{
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
    public void Resolve_DeploymentName_IsSpecName()
    {
        Assert.Equal("shop", Evaluate("${deployment.name}", Resolver(DeploymentState.Empty("shop"))).Text);
    }

    private ReferenceResolver Resolver(DeploymentState state, ServerIdentity? self = null) => LiveReferences.Resolver(_spec, state, self);

    private static TemplateValue Evaluate(string template, IReferenceResolver resolver) =>
        TemplateEvaluator.Evaluate(TemplateParser.Parse(template), resolver);

    private static DeploymentState WithDb(params ServerState[] servers) => RecordedTiers.With("shop", "db", 1, servers);
}
