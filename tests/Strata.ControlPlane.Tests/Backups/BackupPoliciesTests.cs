using Strata.ControlPlane.Backups;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

/// <summary>
/// The schedule of each policy as the scheduler reads it: a policy is due once <c>Schedule.Next(lastAttempt)</c>
/// has come, with a clock stepping by the scheduler's interval.
/// </summary>
[Trait("kind", "unit")]
public sealed class BackupPoliciesTests
{
    private const string Spec = """
        deployment: shop
        images:
          db:
            from: ./db
            run: sh run.sh
            hooks: { backup: sh backup.sh, restore: sh restore.sh }
        tiers:
          db:
            image: db
            servers: 1
            volumes:
              data: { size: 1GiB, mount: data }
            backups:
              nightly:
                snapshot: data
                cron: "0 3 * * *"
              hourly:
                service: true
                every: 1h
                verify: every 24h
        """;

    private static readonly TimeSpan s_tick = new BackupOptions().SchedulerInterval;

    [Fact]
    public void Schedule_Every_IsDueOncePerIntervalWhenTheClockSteps()
    {
        var hourly = Policy("hourly");
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 3, 14, 10, 17, 30, TimeSpan.Zero));

        var runs = RunFor(hourly, clock, TimeSpan.FromHours(3));

        Assert.Equal(
            [new DateTimeOffset(2026, 3, 14, 11, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 14, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 14, 13, 0, 0, TimeSpan.Zero)],
            runs);
    }

    [Fact]
    public void Schedule_Cron_IsDueAtItsTimeEachDayAndNotTwice()
    {
        var nightly = Policy("nightly");
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 3, 14, 2, 0, 0, TimeSpan.Zero));

        var runs = RunFor(nightly, clock, TimeSpan.FromDays(2));

        Assert.Equal([new DateTimeOffset(2026, 3, 14, 3, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 15, 3, 0, 0, TimeSpan.Zero)], runs);
    }

    [Fact]
    public void Schedule_AttemptJustAfterItsTime_IsNotDueAgainUntilTheNextTime()
    {
        var nightly = Policy("nightly");
        var attempted = new DateTimeOffset(2026, 3, 14, 3, 0, 14, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2026, 3, 15, 3, 0, 0, TimeSpan.Zero), nightly.Schedule.Next(attempted));
        Assert.Equal(attempted.AddMinutes(59).AddSeconds(46), Policy("hourly").Schedule.Next(attempted));
    }

    [Fact]
    public void Policy_VerifyEvery_IsItsOwnScheduleApartFromTheBackups()
    {
        Assert.Equal(TimeSpan.FromDays(1), Policy("hourly").Policy.VerifyEvery);
        Assert.Null(Policy("nightly").Policy.VerifyEvery);
        Assert.Equal("service", Policy("hourly").Kind);
        Assert.Equal("snapshot", Policy("nightly").Kind);
    }

    private static TierPolicy Policy(string name)
    {
        var spec = Specs.Load(Spec);
        var tier = spec.FindTier("db")!;
        return new TierPolicy(tier, tier.Backups.Single(b => b.Name == name));
    }

    /// <summary>Steps the clock by the scheduler's interval and records when the policy fell due, counting from the last attempt.</summary>
    private static List<DateTimeOffset> RunFor(TierPolicy policy, ManualTimeProvider clock, TimeSpan span)
    {
        var end = clock.GetUtcNow() + span;
        var lastAttempt = clock.GetUtcNow();
        var runs = new List<DateTimeOffset>();
        while (clock.GetUtcNow() < end)
        {
            clock.Advance(s_tick);
            if (policy.Schedule.Next(lastAttempt) <= clock.GetUtcNow())
            {
                lastAttempt = clock.GetUtcNow();
                runs.Add(lastAttempt);
            }
        }

        return runs;
    }
}
