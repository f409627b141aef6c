using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

[Trait("kind", "unit")]
public sealed class LivenessAuditTests : IAsyncDisposable
{
    private static readonly string s_yaml = Specs.Web(servers: 1, health: "{ http: /healthz, interval: 1s, timeout: 500ms, grace: 60s }");

    private static readonly TimeSpan s_slack = TimeSpan.FromSeconds(5);
    private static readonly DateTimeOffset s_since = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private readonly ControlPlaneServices _services = new();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Theory]
    [InlineData(ServerStatus.Pending, 6, LivenessRepair.Reconcile, "pending for 6s with no operation under way")]
    [InlineData(ServerStatus.Configuring, 6, LivenessRepair.Reconcile, "configuring for 6s with no operation under way")]
    [InlineData(ServerStatus.Terminating, 6, LivenessRepair.Reconcile, "terminating for 6s with no operation under way")]
    [InlineData(ServerStatus.InService, 6, LivenessRepair.Reconcile, "in service for 6s with no health probe running")]
    [InlineData(ServerStatus.Booting, 66, LivenessRepair.Fail, "the health check did not pass within 60s")]
    public async Task Find_NoOwnerPastDeadline_FindsTheRepair(ServerStatus state, int seconds, LivenessRepair repair, string reason)
    {
        var runtime = await RuntimeWithAsync(state);

        var finding = Assert.Single(LivenessAudit.Find(runtime, _ => false, _ => null, s_slack, s_since.AddSeconds(seconds)));

        Assert.Equal((repair, reason), (finding.Repair, finding.Reason));
    }

    [Theory]
    [InlineData(ServerStatus.Pending)]
    [InlineData(ServerStatus.Booting)]
    [InlineData(ServerStatus.Terminating)]
    public async Task Find_OperationUnderWay_FindsNothing(ServerStatus state)
    {
        var runtime = await RuntimeWithAsync(state);

        Assert.Empty(LivenessAudit.Find(runtime, _ => true, _ => null, s_slack, s_since.AddMinutes(10)));
    }

    [Theory]
    [InlineData(ServerStatus.InService, false, 4, false)]
    [InlineData(ServerStatus.InService, false, 6, true)]
    [InlineData(ServerStatus.Booting, true, 64, false)]
    [InlineData(ServerStatus.Booting, true, 66, true)]
    public async Task Find_ControlPlaneJustStarted_DeadlinesCountFromItsStart(ServerStatus state, bool probing, int secondsSinceStart, bool found)
    {
        // The server entered its state long before this control plane started, whose probe loops start with its first
        // pass; a server booting then has its whole grace from the start.
        var runtime = await RuntimeWithAsync(state);
        var started = s_since.AddMinutes(10);
        var now = started.AddSeconds(secondsSinceStart);

        var findings = LivenessAudit.Find(runtime, _ => false, _ => probing ? now : null, s_slack, now, started);

        Assert.Equal(found, findings.Count == 1);
    }

    [Fact]
    public async Task Find_ProbeFinishedWithinIntervalAndTimeout_FindsNothing()
    {
        var runtime = await RuntimeWithAsync(ServerStatus.InService);
        var now = s_since.AddMinutes(10);

        Assert.Empty(LivenessAudit.Find(runtime, _ => false, _ => now.AddSeconds(-6), s_slack, now));
    }

    [Fact]
    public async Task Find_ProbeOverdue_Reprobes()
    {
        var runtime = await RuntimeWithAsync(ServerStatus.Unhealthy);
        var now = s_since.AddMinutes(10);

        var finding = Assert.Single(LivenessAudit.Find(runtime, _ => false, _ => now.AddSeconds(-7), s_slack, now));

        Assert.Equal((LivenessRepair.Reprobe, "no health probe has finished for 7s"), (finding.Repair, finding.Reason));
    }

    [Fact]
    public async Task Find_WithinSlack_FindsNothing()
    {
        var runtime = await RuntimeWithAsync(ServerStatus.Configuring);

        Assert.Empty(LivenessAudit.Find(runtime, _ => false, _ => null, s_slack, s_since.AddSeconds(4)));
    }

    private Task<DeploymentRuntime> RuntimeWithAsync(ServerStatus state) => _services.RuntimeAsync(s_yaml, s =>
    {
        var server = s.FindTier("web")!.Servers[0];
        return s.WithServer(server with { State = state, LaunchedAt = s_since, StateSince = s_since }, s_since);
    });
}
