using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.Secrets;
using Strata.ControlPlane.State;
using Strata.Planning.State;
using Strata.Spec.Parameters;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Secrets;

/// <summary>Captured output that holds a secret parameter's value is stored with <c>(secret)</c> in its place.</summary>
[Trait("kind", "unit")]
public sealed class SecretScrubbingTests : IAsyncLifetime
{
    /// <summary>The value <see cref="AppliedDeployments"/> gives <c>dbPassword</c>, as <c>--param</c> would.</summary>
    private const string Secret = Specs.SecretPassword;

    private const string Yaml = """
        deployment: shop
        parameters:
          dbPassword: { secret: true }
          region: { default: eu }
        images:
          app: { from: ./app, run: "sh run.sh" }
        tiers:
          web: { image: app, servers: 1, env: { DB_PASSWORD: "${params.dbPassword}" } }
        """;

    private readonly ManualTimeProvider _clock = new();
    private readonly ControlPlaneServices _services;
    private IStateStore _store = null!;

    public SecretScrubbingTests() => _services = new ControlPlaneServices(_clock);

    public async Task InitializeAsync() => _store = await _services.InitializedStoreAsync();

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task MutateAsync_ServerMessageWithSecret_IsStoredAndShownScrubbed()
    {
        var runtime = AppliedDeployments.Runtime(_store, Yaml);
        var server = runtime.State.FindTier("web")!.Servers[0];
        var message = $"the process exited with code 1: connecting with password {Secret} failed | eu";

        await runtime.MutateAsync(s => s.WithServer(server with { State = ServerStatus.Failed, Message = message }, _clock.GetUtcNow()), CancellationToken.None).WithTimeout();
        var stored = await _store.GetDeploymentAsync("shop", CancellationToken.None).WithTimeout();

        Assert.Equal("the process exited with code 1: connecting with password (secret) failed | eu", runtime.State.FindTier("web")!.Servers[0].Message);
        Assert.DoesNotContain(Secret, stored!.StateJson, StringComparison.Ordinal);
        Assert.Contains("password (secret) failed", stored.StateJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishAsync_MessageWithSecretOfThatDeployment_IsStoredScrubbed()
    {
        var secrets = new DeploymentSecrets();
        _ = AppliedDeployments.Runtime(_store, Yaml, secrets: secrets);
        var log = new EventLog(_store, _clock, secrets);

        await log.PublishAsync("shop", "backup.failed", $"the backup hook exited with code 2: PGPASSWORD={Secret}", severity: EventSeverity.Error).WithTimeout();
        await log.PublishAsync("other", "server.error", $"{Secret} is not a secret of this deployment").WithTimeout();
        var shop = await _store.ReadEventsAsync("shop", 0, 10, CancellationToken.None).WithTimeout();
        var other = await _store.ReadEventsAsync("other", 0, 10, CancellationToken.None).WithTimeout();

        Assert.Equal("the backup hook exited with code 2: PGPASSWORD=(secret)", Assert.Single(shop).Message);
        Assert.Equal($"{Secret} is not a secret of this deployment", Assert.Single(other).Message);
    }

    [Fact]
    public void Scrub_SecretContainingAnother_LeavesNoPartBehind()
    {
        var spec = Specs.Load("""
            deployment: shop
            parameters:
              a: { secret: true, default: abc }
              b: { secret: true, default: xxabcxx }
            images:
              app: { from: ./app, run: x }
            """, ParameterValues.Empty);
        var desired = new DesiredDeployment
        {
            Spec = spec,
            SpecPath = "/srv/shop/strata.yaml",
            SpecText = "",
            Parameters = new Dictionary<string, string>(),
            ImageDigests = new Dictionary<string, string>(),
        };

        Assert.Equal("[(secret)] [(secret)]", SecretScrubber.Of(desired).Scrub("[xxabcxx] [abc]"));
    }
}
