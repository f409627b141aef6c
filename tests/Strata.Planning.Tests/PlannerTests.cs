using Strata.Planning.Rendering;
using Strata.Planning.Serialization;
using Strata.Planning.State;
using Strata.Spec.Model;
using Strata.Testing;
using static Strata.Planning.Tests.TestDeployments;

namespace Strata.Planning.Tests;

[Trait("kind", "unit")]
public sealed class PlannerTests
{
    [Fact]
    public void Plan_EmptyState_CreatesEverything()
    {
        using var folder = new TemporaryDirectory();
        var plan = TestDeployments.Plan(Hello(folder));

        Assert.Equal(["images.web", "tiers.web", "loadBalancers.front", "firewall[any->front:8080/tcp]"], plan.Changes.Select(c => c.Address));
        Assert.All(plan.Changes, c => Assert.Equal(ChangeAction.Create, c.Action));
        Assert.Equal(new PlanSummary(4, 0, 0, 0), plan.Summary);
        var tier = plan.Changes[1];
        Assert.Equal("3 servers", tier.Reason);
        Assert.Equal(3, tier.Children.Count);
        Assert.All(tier.Children, s => Assert.Matches("^hello-web-[a-z0-9]{6}$", s.PhysicalName));
        Assert.All(tier.Children, s => Assert.Contains(s.Attributes, a => a.Name == "address" && a.After == AttributeChange.KnownAfterApply));
        Assert.Equal([new PlannedOutput("url", "http://127.0.0.1:8080")], plan.Outputs);
        Assert.Equal(0, plan.BaseSerial);
        Assert.Equal(Now, plan.CreatedAt);
        Assert.Empty(plan.Problems);
    }

    [Fact]
    public void Plan_NewLoadBalancers_UrlIsTheOneTheirListenAndTlsFix()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder) with
        {
            LoadBalancers =
            [
                LoadBalancer("front", "web"),
                LoadBalancer("secure", "web") with { ListenHost = "127.0.0.9", ListenPort = 8443, Tls = new TlsSpec("cert.pem", "key.pem", SourceLocation.None) },
            ],
        };

        var plan = TestDeployments.Plan(spec);

        Assert.Equal("http://127.0.0.1:8080", Single(plan, "loadBalancers.front").Attributes.Single(a => a.Name == "url").After);
        Assert.Equal("https://127.0.0.9:8443", Single(plan, "loadBalancers.secure").Attributes.Single(a => a.Name == "url").After);
    }

    [Fact]
    public void Plan_AfterApply_NoChanges()
    {
        using var folder = new TemporaryDirectory();
        var spec = StatusPage(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));

        var plan = TestDeployments.Plan(spec, state, seed: 7);

        Assert.False(plan.HasChanges, PlanRenderer.RenderText(plan));
        Assert.Equal(new PlanSummary(0, 0, 0, 0), plan.Summary);
        Assert.Equal("No changes. The deployment matches the spec.", PlanRenderer.ClosingLine(plan));
    }

    [Fact]
    public void Plan_ImageContentChanged_ReplacesImageAndTierWithReason()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));
        folder.WriteFile("images/web/app.py", "print('hello, again')");

        var plan = TestDeployments.Plan(spec, state);

        var image = Single(plan, "images.web");
        Assert.Equal(ChangeAction.Replace, image.Action);
        var tier = Single(plan, "tiers.web");
        Assert.Equal(ChangeAction.Replace, tier.Action);
        Assert.Equal("image changed: rolling replacement of 3 servers", tier.Reason);
        Assert.Equal(3, tier.Children.Count);
        Assert.All(tier.Children, c => Assert.Equal(ChangeAction.Replace, c.Action));
        var oldNames = state.FindTier("web")!.Servers.Select(s => s.Name).ToHashSet();
        Assert.All(tier.Children, c => Assert.DoesNotContain(c.PhysicalName!, oldNames));
        Assert.Equal(new PlanSummary(0, 0, 2, 0), plan.Summary);
    }

    [Fact]
    public void Plan_EnvAndPortsChanged_ReplacesTierNamingLaunchParts()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));
        var changed = spec with
        {
            Tiers =
            [
                spec.Tiers[0] with
                {
                    Env = new Dictionary<string, Template> { ["MODE"] = T("fast") },
                    Ports = [new PortSpec("http", 8001, SourceLocation.None)],
                },
            ],
        };

        var tier = Single(TestDeployments.Plan(changed, state), "tiers.web");

        Assert.Equal(ChangeAction.Replace, tier.Action);
        Assert.Equal("launch settings changed (env, ports): rolling replacement of 3 servers", tier.Reason);
    }

    [Fact]
    public void Plan_CountIncreased_UpdatesWithNewNamedServers()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder, servers: 2);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));

        var plan = TestDeployments.Plan(Hello(folder, servers: 4), state, seed: 99);

        var tier = Single(plan, "tiers.web");
        Assert.Equal(ChangeAction.Update, tier.Action);
        Assert.Equal("servers 2 → 4", tier.Reason);
        Assert.Equal(2, tier.Children.Count);
        Assert.All(tier.Children, c => Assert.Equal(ChangeAction.Create, c.Action));
        Assert.All(tier.Children, c => Assert.Matches("^hello-web-[a-z0-9]{6}$", c.PhysicalName));
        Assert.Equal(new PlanSummary(0, 1, 0, 0), plan.Summary);
    }

    [Fact]
    public void Plan_CountDecreased_RemovesUnhealthyThenOldest()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder, servers: 4);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));
        var servers = state.Tiers[0].Servers.OrderBy(s => s.Name).ToList();
        servers[0] = servers[0] with { LaunchedAt = Now.AddHours(-5) };
        servers[1] = servers[1] with { LaunchedAt = Now.AddHours(-1) };
        servers[2] = servers[2] with { State = ServerStatus.Unhealthy };
        state = state with { Tiers = [state.Tiers[0] with { Servers = servers }] };

        var tier = Single(TestDeployments.Plan(Hello(folder, servers: 2), state), "tiers.web");

        Assert.Equal(ChangeAction.Update, tier.Action);
        Assert.Equal([servers[2].Name, servers[0].Name], tier.Children.Select(c => c.PhysicalName));
        Assert.All(tier.Children, c => Assert.Equal(ChangeAction.Delete, c.Action));
        Assert.Equal("scale in: unhealthy servers go first", tier.Children[0].Reason);
        Assert.Equal("scale in: oldest first", tier.Children[1].Reason);
    }

    [Fact]
    public void Plan_SettingsOnlyChanged_UpdatesInPlaceWithoutServerChanges()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));
        var changed = spec with { Tiers = [spec.Tiers[0] with { MaxAge = TimeSpan.FromDays(1) }] };

        var tier = Single(TestDeployments.Plan(changed, state), "tiers.web");

        Assert.Equal(ChangeAction.Update, tier.Action);
        Assert.Equal("settings changed in place", tier.Reason);
        Assert.Empty(tier.Children);
    }

    [Fact]
    public void Plan_ValueOfAParameterTheEnvReads_ChangedReplacesTheTierAndLoadedOldStateDoesNot()
    {
        using var folder = new TemporaryDirectory();
        var spec = StatusPage(folder);
        var web = spec.Tiers.Single(t => t.Name == "web");
        spec = spec with { Tiers = [.. spec.Tiers.Select(t => t == web ? web with { Env = new Dictionary<string, Template>(web.Env) { ["TITLE"] = T("${params.title}") } } : t)] };
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));
        var retitled = spec with { ResolvedParameters = new Dictionary<string, string>(spec.ResolvedParameters) { ["title"] = "Our status" } };

        var tier = Single(TestDeployments.Plan(retitled, state), "tiers.web");

        Assert.Equal(ChangeAction.Replace, tier.Action);
        Assert.Equal("launch settings changed (params): rolling replacement of 2 servers", tier.Reason);
        Assert.Same(state, LaunchDigestUpgrade.Apply(state, spec));

        // A state applied before parameter values were part of a launch: digests without them, and no params part.
        var webState = state.FindTier("web")!;
        var image = spec.FindImage(spec.Tiers.Single(t => t.Name == "web").Image)!;
        var oldLaunch = SpecDigests.Launch(spec.Tiers.Single(t => t.Name == "web"), image);
        var old = state.WithTier(webState with
        {
            LaunchDigest = oldLaunch,
            LaunchParts = webState.LaunchParts.Where(p => p.Key != SpecDigests.ParametersPartName).ToDictionary(),
            Servers = [.. webState.Servers.Select(s => s with { LaunchDigest = oldLaunch })],
        });
        Assert.Equal(ChangeAction.Replace, Single(TestDeployments.Plan(spec, old), "tiers.web").Action);

        var upgraded = LaunchDigestUpgrade.Apply(old, spec);

        Assert.Equal(ChangeAction.NoOp, Single(TestDeployments.Plan(spec, upgraded), "tiers.web").Action);
        Assert.All(upgraded.FindTier("web")!.Servers, s => Assert.Equal(webState.LaunchDigest, s.LaunchDigest));
        Assert.Equal(ChangeAction.Replace, Single(TestDeployments.Plan(retitled, upgraded), "tiers.web").Action);
        Assert.Same(upgraded, LaunchDigestUpgrade.Apply(upgraded, spec));

        // A rollout under way from the previous apply (another env) to the last: both launches, and the servers of each, are renamed.
        var before = spec with { Tiers = [.. spec.Tiers.Select(t => t.Name == "web" ? t with { Env = new Dictionary<string, Template>(t.Env) { ["MODE"] = T("old") } } : t)] };
        var beforeTier = before.Tiers.Single(t => t.Name == "web");
        var (fromOld, fromNew) = (SpecDigests.Launch(beforeTier, image), SpecDigests.Launch(beforeTier, image, before.ResolvedParameters));
        var rolling = old.WithTier(old.FindTier("web")! with
        {
            Rollout = new RolloutState
            {
                FromImageDigest = "i", FromLaunchDigest = fromOld, ToImageDigest = "i", ToLaunchDigest = oldLaunch,
                Phase = RolloutPhase.Rolling, StartedAt = DateTimeOffset.UnixEpoch,
            },
            Servers = [.. old.FindTier("web")!.Servers.Select((s, i) => i == 0 ? s with { LaunchDigest = fromOld } : s)],
        });

        var rolled = LaunchDigestUpgrade.Apply(rolling, spec, before).FindTier("web")!;

        Assert.Equal((fromNew, webState.LaunchDigest, webState.LaunchDigest), (rolled.Rollout!.FromLaunchDigest, rolled.Rollout.ToLaunchDigest, rolled.LaunchDigest));
        Assert.Equal([fromNew, webState.LaunchDigest], rolled.Servers.Select(s => s.LaunchDigest));
    }

    [Fact]
    public void Plan_LaunchSettingsOfATierWithVolumesChanged_SaysItIsReplacedInPlace()
    {
        using var folder = new TemporaryDirectory();
        var spec = StatusPage(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));
        var db = spec.Tiers.Single(t => t.Name == "db");
        var changed = spec with { Tiers = [.. spec.Tiers.Select(t => t == db ? db with { Env = new Dictionary<string, Template> { ["MODE"] = T("fast") } } : t)] };

        var tier = Single(TestDeployments.Plan(changed, state), "tiers.db");

        Assert.Equal(ChangeAction.Replace, tier.Action);
        Assert.Equal("launch settings changed (env): rolling replacement of 1 server, in place: each stops before its replacement starts on its volumes", tier.Reason);
    }

    [Theory]
    [InlineData(DeletionPolicy.Snapshot, "snapshot then delete")]
    [InlineData(DeletionPolicy.Retain, "retain and detach")]
    [InlineData(DeletionPolicy.Delete, "delete")]
    public void Plan_TierRemoved_DeletesWithDeletionPolicyEffect(DeletionPolicy policy, string effect)
    {
        using var folder = new TemporaryDirectory();
        var spec = StatusPage(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));
        state = state with { Volumes = [.. state.Volumes.Select(v => v with { DeletionPolicy = policy })] };
        var withoutDb = spec with
        {
            Tiers = [spec.Tiers[0] with { Env = new Dictionary<string, Template>() }],
            Firewall = [spec.Firewall[0]],
        };

        var plan = TestDeployments.Plan(withoutDb, state);

        var tier = Single(plan, "tiers.db");
        Assert.Equal(ChangeAction.Delete, tier.Action);
        Assert.Equal($"no longer in the spec: 1 server stopped; volumes: {effect}", tier.Reason);
        var volume = Single(plan, "volumes.db.data");
        Assert.Equal(ChangeAction.Delete, volume.Action);
        Assert.Equal(effect, volume.Reason);
        Assert.Equal(effect, Assert.Single(volume.Children).Reason);
        Assert.Equal(ChangeAction.Delete, Single(plan, "firewall[web->db:5432/tcp]").Action);
        var addresses = plan.Changes.Select(c => c.Address).ToList();
        Assert.True(addresses.IndexOf("tiers.db") < addresses.IndexOf("volumes.db.data"), "servers stop before their volumes go");
    }

    [Fact]
    public void Plan_LoadBalancerListenChanged_Replaces()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));
        var changed = spec with { LoadBalancers = [spec.LoadBalancers[0] with { ListenPort = 9090 }] };

        var lb = Single(TestDeployments.Plan(changed, state), "loadBalancers.front");

        Assert.Equal(ChangeAction.Replace, lb.Action);
        Assert.Equal("listen changed (127.0.0.1:8080 → 127.0.0.1:9090)", lb.Reason);
        Assert.Equal(state.LoadBalancers[0].PhysicalName, lb.PhysicalName);
    }

    [Fact]
    public void Plan_LoadBalancerDriverChanged_Replaces()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));
        var changed = spec with { LoadBalancers = [spec.LoadBalancers[0] with { Driver = "haproxy" }] };

        var lb = Single(TestDeployments.Plan(changed, state), "loadBalancers.front");

        Assert.Equal(ChangeAction.Replace, lb.Action);
        Assert.Equal("driver changed (builtin → haproxy)", lb.Reason);
    }

    [Fact]
    public void Plan_LoadBalancerAlgorithmAndHealthChanged_UpdatesInPlace()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));
        var changed = spec with
        {
            LoadBalancers =
            [
                spec.LoadBalancers[0] with
                {
                    Algorithm = LoadBalancingAlgorithm.LeastConnections,
                    Health = new HealthCheckSpec { Kind = HealthCheckKind.Tcp, Port = 8000 },
                },
            ],
        };

        var plan = TestDeployments.Plan(changed, state);

        var lb = Single(plan, "loadBalancers.front");
        Assert.Equal(ChangeAction.Update, lb.Action);
        Assert.StartsWith("settings changed in place", lb.Reason);
        Assert.Equal(new PlanSummary(0, 1, 0, 0), plan.Summary);
    }

    [Fact]
    public void Plan_LoadBalancerChangeApplied_NextPlanChangesNothing()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));
        var changed = spec with { LoadBalancers = [spec.LoadBalancers[0] with { ListenPort = 9090, Sticky = true }] };

        var first = TestDeployments.Plan(changed, state);
        var applied = AppliedState.After(changed, first, state);
        var second = TestDeployments.Plan(changed, applied);

        Assert.Equal(ChangeAction.Replace, Single(first, "loadBalancers.front").Action);
        Assert.Equal(ChangeAction.NoOp, Single(second, "loadBalancers.front").Action);
        Assert.Equal("127.0.0.1:9090", applied.FindLoadBalancer("front")!.Listen);
    }

    [Fact]
    public void Plan_PlacedLoadBalancerReplaced_StaysOnItsHost()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var placed = spec with { LoadBalancers = [spec.LoadBalancers[0] with { ListenHost = "", Placement = new PlacementSpec() }] };
        var state = AppliedState.After(placed, TestDeployments.Plan(placed), DeploymentState.Empty(spec.Name));
        state = state with { LoadBalancers = [state.LoadBalancers[0] with { Host = "h1", Address = "10.0.0.1" }] };

        var plan = TestDeployments.Plan(placed with { LoadBalancers = [placed.LoadBalancers[0] with { ListenPort = 9090 }] }, state);

        var lb = Single(plan, "loadBalancers.front");
        Assert.Equal(ChangeAction.Replace, lb.Action);
        Assert.Equal(new AttributeChange("host", "h1", "h1"), lb.Attributes.Single(a => a.Name == "host"));
    }

    [Fact]
    public void Plan_LoadBalancerRemoved_Deletes()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));

        var plan = TestDeployments.Plan(spec with { LoadBalancers = [], Firewall = [], Outputs = [] }, state);

        Assert.Equal(ChangeAction.Delete, Single(plan, "loadBalancers.front").Action);
        Assert.Equal(new PlanSummary(0, 0, 0, 2), plan.Summary);
    }

    [Fact]
    public void Plan_TwiceBeforeApply_DifferentSeedsGiveFreshNamesButAppliedNamesAreStable()
    {
        using var folder = new TemporaryDirectory();
        var spec = StatusPage(folder);
        var first = TestDeployments.Plan(spec, seed: 1);
        var state = AppliedState.After(spec, first, DeploymentState.Empty(spec.Name));

        var scaled = spec with { Tiers = [spec.Tiers[0] with { Servers = ServerCount.Fixed(3) }, spec.Tiers[1]] };
        var second = TestDeployments.Plan(scaled, state, seed: 1);

        var existing = state.PhysicalNames().ToHashSet();
        var added = Assert.Single(Single(second, "tiers.web").Children);
        Assert.DoesNotContain(added.PhysicalName!, existing);
        Assert.Equal(state.LoadBalancers[0].PhysicalName, Single(second, "loadBalancers.front").PhysicalName);
        var after = AppliedState.After(scaled, second, state);
        Assert.Superset(existing, after.PhysicalNames().ToHashSet());
    }

    [Fact]
    public void Plan_ReplacedServerWithVolume_VolumeMovesToReplacement()
    {
        using var folder = new TemporaryDirectory();
        var spec = StatusPage(folder);
        var state = AppliedState.After(spec, TestDeployments.Plan(spec), DeploymentState.Empty(spec.Name));
        folder.WriteFile("images/db/app.py", "print('db v2')");

        var plan = TestDeployments.Plan(spec, state);

        var server = Assert.Single(Single(plan, "tiers.db").Children);
        var volume = Single(plan, "volumes.db.data");
        Assert.Equal(ChangeAction.Update, volume.Action);
        var moved = Assert.Single(volume.Children);
        Assert.Equal(state.Volumes[0].Name, moved.PhysicalName);
        Assert.Equal(new AttributeChange("server", state.Volumes[0].Server, server.PhysicalName), Assert.Single(moved.Attributes));
    }

    [Fact]
    public void Plan_MissingImageFolder_ReportsProblemOnImage()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        Directory.Delete(folder.Combine("images", "web"), recursive: true);

        var plan = TestDeployments.Plan(spec);

        var problem = Assert.Single(plan.Problems);
        Assert.Equal("images.web", problem.Address);
        Assert.Contains("does not exist", problem.Message);
        Assert.Throws<PlanOutOfDateException>(() => plan.EnsureApplicableTo(DeploymentState.Empty("hello"), plan.SpecDigest, plan.ParameterDigest));
    }

    [Fact]
    public void Plan_TierDependsOnAnother_CreatesDependencyFirstAndDeletesInReverse()
    {
        using var folder = new TemporaryDirectory();
        var spec = StatusPage(folder);

        var plan = TestDeployments.Plan(spec);

        var tiers = plan.Changes.Where(c => c.Kind == ResourceKind.Tier).Select(c => c.Address).ToList();
        Assert.Equal(["tiers.db", "tiers.web"], tiers);
        var state = AppliedState.After(spec, plan, DeploymentState.Empty(spec.Name));
        var removal = TestDeployments.Plan(spec with { Tiers = [], LoadBalancers = [], Firewall = [], Outputs = [] }, state);
        Assert.Equal(["tiers.web", "tiers.db"], removal.Changes.Where(c => c.Kind == ResourceKind.Tier).Select(c => c.Address));
    }

    [Fact]
    public void Plan_SecretParameterInEnv_ShowsSecret()
    {
        using var folder = new TemporaryDirectory();

        var tier = Single(TestDeployments.Plan(StatusPage(folder)), "tiers.web");

        Assert.Contains(new AttributeChange("env.DB_PASSWORD", null, AttributeChange.Secret), tier.Attributes);
        Assert.Contains(new AttributeChange("env.DB_URL", null, AttributeChange.KnownAfterApply), tier.Attributes);
        Assert.Contains(new AttributeChange("env.TITLE", null, "Status"), tier.Attributes);
    }

    [Fact]
    public void Plan_SecretParameter_NeverInTextOrJson()
    {
        using var folder = new TemporaryDirectory();

        var plan = TestDeployments.Plan(StatusPage(folder));

        Assert.DoesNotContain(SecretValue, PlanRenderer.RenderText(plan));
        Assert.DoesNotContain(SecretValue, PlanJson.Serialize(plan));
    }

    [Fact]
    public void Plan_ZonesGiven_SpreadsServersAcrossZones()
    {
        using var folder = new TemporaryDirectory();

        var tier = Single(TestDeployments.Plan(StatusPage(folder)), "tiers.web");

        Assert.Equal(["local-a", "local-b"], tier.Children.Select(c => c.Attributes.First(a => a.Name == "zone").After));
    }

    [Fact]
    public void Plan_StateOfOtherDeployment_Throws()
    {
        using var folder = new TemporaryDirectory();

        var error = Assert.Throws<ArgumentException>(() => Planner.Plan(Hello(folder), DeploymentState.Empty("other")));

        Assert.Contains("'other'", error.Message);
    }

    private static ResourceChange Single(Plan plan, string address) => Assert.Single(plan.Changes, c => c.Address == address);
}
