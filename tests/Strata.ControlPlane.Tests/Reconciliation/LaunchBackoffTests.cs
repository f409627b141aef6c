using Strata.ControlPlane.Reconciliation;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

[Trait("kind", "unit")]
public sealed class LaunchBackoffTests : IAsyncDisposable
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ControlPlaneServices _services;

    public LaunchBackoffTests() => _services = new ControlPlaneServices(_time);

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task CountAsync_FailuresInARow_NextLaunchWaitsDoublingFromOneSecondUpToFiveMinutes()
    {
        var runtime = await _services.RuntimeAsync(Specs.Web(servers: 1));
        var backoff = _services.Get<LaunchBackoff>();

        var waits = new List<double>();
        for (var i = 0; i < 11; i++)
        {
            await backoff.CountAsync(runtime, "web", "run command exited immediately", CancellationToken.None).WithTimeout();
            waits.Add((runtime.Failures["web"].NotBefore - _time.GetUtcNow()).TotalSeconds);
        }

        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300], waits);
        Assert.Equal(11, runtime.Failures["web"].Count);
    }
}
