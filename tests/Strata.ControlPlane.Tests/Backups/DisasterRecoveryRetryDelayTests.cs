using Strata.ControlPlane.Backups;

namespace Strata.ControlPlane.Tests.Backups;

[Trait("kind", "unit")]
public sealed class DisasterRecoveryRetryDelayTests
{
    private static readonly BackupOptions s_options = new();

    [Theory]
    [InlineData(1, 60)]
    [InlineData(2, 120)]
    [InlineData(3, 240)]
    [InlineData(6, 1920)]
    [InlineData(7, 3600)]
    [InlineData(1000, 3600)]
    public void RetryDelay_NoJitterDrawn_DoublesFromOneMinuteUpToOneHour(int failures, double expectedSeconds)
    {
        Assert.Equal(expectedSeconds, DisasterRecoveryReplication.RetryDelay(failures, s_options, new FixedRandom(0)).TotalSeconds, precision: 3);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void RetryDelay_LargestJitterDrawn_TakesAFifthOffAndNeverPassesTheLongestWait(int failures)
    {
        var none = DisasterRecoveryReplication.RetryDelay(failures, s_options, new FixedRandom(0));

        var largest = DisasterRecoveryReplication.RetryDelay(failures, s_options, new FixedRandom(0.999999));

        Assert.InRange(largest, none * 0.8, none);
        Assert.True(largest <= s_options.DisasterRecoveryMaxRetryDelay, $"{largest} is longer than DisasterRecoveryMaxRetryDelay");
    }

    private sealed class FixedRandom(double value) : Random
    {
        public override double NextDouble() => value;
    }
}
