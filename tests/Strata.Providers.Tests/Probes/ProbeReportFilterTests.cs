using Strata.Providers.Probes;

namespace Strata.Providers.Tests.Probes;

[Trait("kind", "unit")]
public sealed class ProbeReportFilterTests
{
    [Fact]
    public void Record_SteadyPasses_SendsOnlyUpToTheLargerThreshold()
    {
        var sent = Sent(new ProbeReportFilter(HealthyAfter: 2, UnhealthyAfter: 3), [true, true, true, true, true, true]);

        Assert.Equal([true, true, true, false, false, false], sent);
    }

    [Fact]
    public void Record_AChange_SendsAgainFromIt()
    {
        var sent = Sent(new ProbeReportFilter(1, 2), [true, true, true, false, false, false, true]);

        Assert.Equal([true, true, false, true, true, false, true], sent);
    }

    [Fact]
    public void Record_PassesAfterFailures_BootedOnlyOnceHealthyAfterInARow()
    {
        var filter = new ProbeReportFilter(HealthyAfter: 2, UnhealthyAfter: 1);

        (filter, _) = filter.Record(false);
        (filter, _) = filter.Record(true);
        Assert.False(filter.Booted);
        (filter, _) = filter.Record(true);
        Assert.True(filter.Booted);
        (filter, _) = filter.Record(false);
        Assert.True(filter.Booted);
    }

    /// <summary>
    /// Every sequence of results of up to ten probes, counted with the thresholds against everything, and against only
    /// what the filter sends: the verdicts after each sent result agree, and the last verdict is the same.
    /// </summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(3, 2)]
    public void Record_AnySequence_TheSentResultsGiveTheSameVerdicts(int healthyAfter, int unhealthyAfter)
    {
        for (var bits = 0; bits < 1 << 10; bits++)
        {
            var results = Enumerable.Range(0, 10).Select(i => (bits >> i & 1) == 1).ToArray();
            var sent = Sent(new ProbeReportFilter(healthyAfter, unhealthyAfter), results);
            var all = Verdicts(results, healthyAfter, unhealthyAfter);
            var seen = Verdicts([.. results.Where((_, i) => sent[i])], healthyAfter, unhealthyAfter);

            Assert.Equal(all.Where((_, i) => sent[i]), seen);
            Assert.Equal(all[^1], seen.Count == 0 ? null : seen[^1]);
        }
    }

    private static List<bool> Sent(ProbeReportFilter filter, IEnumerable<bool> results)
    {
        var sent = new List<bool>();
        foreach (var passed in results)
        {
            (filter, var send) = filter.Record(passed);
            sent.Add(send);
        }

        return sent;
    }

    // The control plane's count: a verdict changes at the threshold of a run and is kept in between.
    private static List<bool?> Verdicts(IEnumerable<bool> results, int healthyAfter, int unhealthyAfter)
    {
        bool? verdict = null;
        bool? last = null;
        var run = 0;
        var verdicts = new List<bool?>();
        foreach (var passed in results)
        {
            run = last == passed ? run + 1 : 1;
            last = passed;
            verdict = passed && run >= healthyAfter ? true : !passed && run >= unhealthyAfter ? false : verdict;
            verdicts.Add(verdict);
        }

        return verdicts;
    }
}
