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

    [Fact]
    public void Status_VolumeRestoredInPlaceOfOneOnALostHost_SaysFromWhatAndItsRecoveryPoint()
    {
        var taken = new DateTimeOffset(2026, 12, 6, 3, 0, 2, TimeSpan.Zero);
        var status = new DeploymentStatusDto
        {
            Name = "vault", Phase = DeploymentPhase.Converged, Serial = 9, Tiers = [], Servers = [], LoadBalancers = [],
            Outputs = new Dictionary<string, string>(),
            Volumes =
            [
                new VolumeStatusDto { Name = "vault-store-data-aaaaaa", Tier = "store", Volume = "data", Server = "vault-store-bbbbbb" },
                new VolumeStatusDto
                {
                    Name = "vault-store-data-y2y2y2", Tier = "store", Volume = "data", Server = "vault-store-cccccc",
                    Recovered = new VolumeRecoveryDto
                    {
                        Snapshot = "20261206T030002Z-1a2b3c4d", Store = "dr", RecoveryPoint = taken, RestoredAt = taken.AddMinutes(4).AddSeconds(10),
                        RecoveryPointAgeSeconds = 250, LostVolume = "vault-store-data-x1x1x1", LostHost = "h1",
                    },
                },
            ],
        };

        var lines = Table.Status(status).Split(Environment.NewLine);

        Assert.Equal(
            [
                "volume vault-store-data-y2y2y2 (store/data) was restored at 2026-12-06 03:04:12Z from snapshot 20261206T030002Z-1a2b3c4d (dr store) in place of vault-store-data-x1x1x1 on lost host h1:",
                "  recovery point 2026-12-06 03:00:02Z, 4m10s before it was restored; what was written after it is on the lost host only",
            ],
            lines[^2..]);
        Assert.DoesNotContain(lines, l => l.Contains("vault-store-data-aaaaaa", StringComparison.Ordinal));
    }
}
