using Strata.Api.Contracts;
using Strata.Cli.Commands;

namespace Strata.Cli.Tests;

[Trait("kind", "unit")]
public sealed class HostsTableTests
{
    [Theory]
    [InlineData("ready", true, "ready")]
    [InlineData("ready", false, "ready (no channel)")]
    [InlineData("draining", false, "draining (no channel)")]
    [InlineData("unreachable", false, "unreachable")]
    [InlineData("lost", false, "lost")]
    public void State_ConnectionDroppedBeforeTheHostTimeout_Shown(string state, bool connected, string shown) =>
        Assert.Equal(shown, HostCommands.State(new HostDto
        {
            Name = "h1", Ssh = "root@127.0.0.1:22", Address = "127.0.0.1", Labels = new Dictionary<string, string>(), State = state, Connected = connected,
            AddedAt = DateTimeOffset.UnixEpoch,
        }));
}
