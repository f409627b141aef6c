using Strata.Planning;
using Strata.Planning.State;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>States of a deployment as the control plane records them, built by hand for tests that read references.</summary>
internal static class RecordedTiers
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A deployment with one tier, <paramref name="tier"/>, that wants <paramref name="desired"/> servers and has <paramref name="servers"/>.</summary>
    public static DeploymentState With(string deployment, string tier, int desired, params ServerState[] servers) => DeploymentState.Empty(deployment) with
    {
        Tiers =
        [
            new TierState
            {
                LogicalName = tier,
                ImageDigest = "sha256:image",
                LaunchDigest = "sha256:launch",
                SettingsDigest = "sha256:settings",
                Count = new TierCount(desired, desired, desired),
                Servers = servers,
            },
        ],
    };

    /// <summary>A server of <c>db</c> in zone <c>local-a</c>, launched <paramref name="minute"/> minutes after a fixed start.</summary>
    public static ServerState Db(string name, string? address, ServerStatus state, int minute) => new()
    {
        Name = name,
        Tier = "db",
        Zone = "local-a",
        Address = address,
        State = state,
        ImageDigest = "sha256:image",
        LaunchDigest = "sha256:launch",
        LaunchedAt = s_start.AddMinutes(minute),
    };
}
