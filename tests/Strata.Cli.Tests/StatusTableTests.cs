using Strata.Api.Contracts;
using Strata.Cli.Commands;

namespace Strata.Cli.Tests;

[Trait("kind", "unit")]
public sealed class StatusTableTests
{
    [Fact]
    public void Status_TierShortOfItsCount_ShowsTheTierAndWhy()
    {
        var status = new DeploymentStatusDto
        {
            Name = "vault",
            Phase = DeploymentPhase.Degraded,
            Serial = 4,
            Tiers =
            [
                new TierStatusDto { Name = "store", Min = 1, Max = 1, Desired = 1, InService = 0, Message = "its volume vault-store-data-zbp454 is on host h1, which is lost" },
                new TierStatusDto { Name = "web", Min = 2, Max = 4, Desired = 2, InService = 2 },
            ],
            Servers = [new ServerDto { Name = "vault-web-k3p2ab", Tier = "web", Zone = "z1", Address = "127.0.3.2", State = "inService", Image = "sha256:1", LaunchedAt = DateTimeOffset.UnixEpoch }],
            LoadBalancers = [],
            Outputs = new Dictionary<string, string>(),
        };

        var lines = Table.Status(status).Split(Environment.NewLine);

        Assert.Equal(
            [
                "vault: degraded (serial 4)",
                "",
                "TIER                 IN SERVICE  DESIRED  MIN-MAX",
                "store                0           1        1-1",
                "  └ its volume vault-store-data-zbp454 is on host h1, which is lost",
                "web                  2           2        2-4",
                "",
            ],
            lines[..7]);
        Assert.StartsWith("vault-web-k3p2ab", lines[8], StringComparison.Ordinal);
    }
}
