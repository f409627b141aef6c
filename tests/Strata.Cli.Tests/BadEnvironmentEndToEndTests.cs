using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>A setting of the environment the control plane cannot start with is said by the command, not left in a log.</summary>
[Trait("kind", "e2e")]
public sealed class BadEnvironmentEndToEndTests
{
    [Fact]
    public async Task ServerStart_LocalAddressesNotARange_SaysWhatIsWrongAndStartsNothing()
    {
        await using var strata = new StrataRunner();
        var wrong = new Dictionary<string, string> { ["STRATA_LOCAL_ADDRESSES"] = "127.70.0.0/16" };

        var start = await strata.RunWithEnvironmentAsync(TimeSpan.FromMinutes(1), wrong, "server", "start");
        var running = await strata.RunAsync(TimeSpan.FromMinutes(1), "server", "status");

        Assert.Equal(ExitCodes.Usage, start.ExitCode);
        Assert.Contains("strata: STRATA_LOCAL_ADDRESSES='127.70.0.0/16' must be a loopback range such as 127.5.0.1-127.5.255.254; the control plane was not started", start.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("started the control plane", start.Error, StringComparison.Ordinal);
        Assert.Contains("no control plane", running.Out + running.Error, StringComparison.OrdinalIgnoreCase);
    }
}
