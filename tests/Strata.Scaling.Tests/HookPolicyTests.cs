using Strata.Scaling.Policies;
using Strata.Spec.Model;
using Strata.Testing;
using static Strata.Scaling.Tests.TestTiers;

namespace Strata.Scaling.Tests;

[Trait("kind", "unit")]
public sealed class HookPolicyTests
{
    private readonly ManualTimeProvider _time = new(Start);

    [Fact]
    public void Tick_MajorityAnswersOne_AddsStep()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 4), Hook(step: 2));

        Assert.Equal(new ScalingDecision(6, "scaleCheck: 2 of 4 servers answered 1", "scaleCheck", 1), autoscaler.Tick(Votes(4, 1, 1, 0, -1)));
    }

    [Fact]
    public void Tick_MajorityAnswersMinusOne_RemovesStep()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Hook());

        Assert.Equal(new ScalingDecision(2, "scaleCheck: 3 of 3 servers answered -1", "scaleCheck", -1), autoscaler.Tick(Votes(3, -1, -1, -1)));
    }

    [Fact]
    public void Tick_MajorityAnswersZero_KeepsTheCount()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Hook());

        Assert.Null(autoscaler.Tick(Votes(3, 0, 0, 1)));
    }

    [Theory]
    [InlineData(new[] { 1, -1 })]
    [InlineData(new[] { 1, 1, -1, -1, 0 })]
    [InlineData(new[] { 1, 0, -1 })]
    public void Tick_TopVotesTied_KeepsTheCount(int[] votes)
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Hook());

        Assert.Null(autoscaler.Tick(Votes(3, votes)));
    }

    [Fact]
    public void Tick_HookNotRunThisTick_DoesNothing()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Hook());

        Assert.Null(autoscaler.Tick(new ScalingInput { Desired = 3, InService = 3 }));
        Assert.Null(autoscaler.Tick(Votes(3)));
    }

    [Fact]
    public void Tick_VoteOutOfRange_Throws()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Hook());

        var error = Assert.Throws<ArgumentException>(() => autoscaler.Tick(Votes(3, 1, 2)));

        Assert.Contains("1, 0 or -1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tick_WithinCooldown_IgnoresTheVotes()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Hook(cooldownSeconds: 60));

        Assert.Equal(4, autoscaler.Tick(Votes(3, 1, 1))?.NewDesired);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Null(autoscaler.Tick(Votes(4, 1, 1)));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(5, autoscaler.Tick(Votes(4, 1, 1))?.NewDesired);
    }

    [Theory]
    [InlineData("1\n", 1)]
    [InlineData(" 0 ", 0)]
    [InlineData("-1", -1)]
    public void Parse_ValidAnswer_ReturnsTheVote(string output, int expected)
    {
        Assert.Equal(expected, HookAnswer.Parse(output));
    }

    [Theory]
    [InlineData("")]
    [InlineData("2")]
    [InlineData("yes")]
    [InlineData("1 1")]
    public void Parse_InvalidAnswer_ThrowsSayingWhatIsExpected(string output)
    {
        var error = Assert.Throws<FormatException>(() => HookAnswer.Parse(output));

        Assert.Contains("must print 1 (add servers), 0 (keep) or -1 (remove)", error.Message, StringComparison.Ordinal);
    }
}
