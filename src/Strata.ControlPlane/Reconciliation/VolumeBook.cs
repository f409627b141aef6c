using Strata.Planning.Naming;
using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Which volume a server gets: its own when it has one, else the detached (retained) volume of the same tier and
/// name released last, so a replacement takes over the data of the server it replaces, else a new one.
/// </summary>
public static class VolumeBook
{
    public static DeploymentState Attach(DeploymentState state, string deployment, TierSpec tier, VolumeSpec volume, string server, Random random)
    {
        if (state.Volumes.Any(v => v.Server == server && v.LogicalName == volume.Name && v.Tier == tier.Name))
        {
            return state;
        }

        // The one released last is that of the server this one replaces; older ones were left by servers gone before.
        var detached = state.Volumes.Where(v => v.Server is null && v.Tier == tier.Name && v.LogicalName == volume.Name)
            .OrderByDescending(v => v.ReleasedAt ?? DateTimeOffset.MinValue).FirstOrDefault();
        if (detached is not null)
        {
            return state.WithVolume(detached with { Server = server });
        }

        return state with { Volumes = [.. state.Volumes, NewVolume(state, deployment, tier, volume, server, random)] };
    }

    private static VolumeState NewVolume(DeploymentState state, string deployment, TierSpec tier, VolumeSpec volume, string server, Random random) => new()
    {
        Name = new NameGenerator(random, state.PhysicalNames()).Next(deployment, $"{tier.Name}-{volume.Name}"),
        Tier = tier.Name,
        LogicalName = volume.Name,
        Server = server,
        SizeBytes = volume.SizeBytes,
        DeletionPolicy = volume.DeletionPolicy ?? tier.DeletionPolicy,
    };

    /// <summary>
    /// Attaches to <paramref name="server"/> a new volume that takes the place of <paramref name="lost"/> (free, on the
    /// lost <paramref name="host"/>), recorded as recovering from it; the state as it was when <paramref name="lost"/>
    /// is no longer free (another server took it meanwhile) or the server already has the volume.
    /// </summary>
    public static DeploymentState Recover(DeploymentState state, string deployment, TierSpec tier, VolumeSpec volume, string server, string lost, string host, Random random)
    {
        if (state.Volumes.Any(v => v.Server == server && v.LogicalName == volume.Name && v.Tier == tier.Name)
            || state.Volumes.FirstOrDefault(v => v.Name == lost) is not { Server: null })
        {
            return state;
        }

        var created = NewVolume(state, deployment, tier, volume, server, random) with { RecoveringFrom = lost, RecoveringFromHost = host };
        return state.WithoutVolume(lost) with { Volumes = [.. state.WithoutVolume(lost).Volumes, created] };
    }

    /// <summary>
    /// The server of the tier that still holds a volume <paramref name="server"/> should take over, or null. A
    /// server being replaced, or a failed one not yet fenced, keeps its volumes until nothing of it runs; a new server
    /// that took a fresh volume meanwhile would start without the data, and two servers must never share one.
    /// </summary>
    public static string? HeldForReplacement(DeploymentState state, TierSpec tier, string server)
    {
        var tierState = state.FindTier(tier.Name);
        if (tierState is null || tier.Volumes.Count == 0 || state.Volumes.Any(v => v.Server == server))
        {
            return null;
        }

        var departing = tierState.Servers
            .Where(s => s.Name != server && (s.State == ServerStatus.Failed || s is { State: ServerStatus.Terminating, Termination: not TerminationCause.Removal }))
            .Select(s => s.Name)
            .ToHashSet(StringComparer.Ordinal);
        return state.Volumes.FirstOrDefault(v => v.Tier == tier.Name && v.Server is { } holder && departing.Contains(holder))?.Server;
    }
}
