using Strata.Planning.Images;

namespace Strata.Planning.State;

/// <summary>A tier as running: the digests it was launched with, its count and its servers.</summary>
public sealed record TierState
{
    public required string LogicalName { get; init; }

    /// <summary>The source digest of the image the tier's servers run (see <see cref="ImageDigest"/>).</summary>
    public required string ImageDigest { get; init; }

    /// <summary><see cref="SpecDigests.Launch"/>: when it changes every server must be replaced.</summary>
    public required string LaunchDigest { get; init; }

    /// <summary>
    /// <see cref="SpecDigests.LaunchParts"/> as launched, so that a plan can name what changed (env, ports…).
    /// Optional: without it a plan says only that launch settings changed.
    /// </summary>
    public IReadOnlyDictionary<string, string> LaunchParts { get; init; } = new Dictionary<string, string>();

    /// <summary><see cref="SpecDigests.TierSettings"/>: settings changed in place without new servers.</summary>
    public required string SettingsDigest { get; init; }

    public required TierCount Count { get; init; }

    /// <summary>
    /// The tiers this one depended on when launched (<see cref="TierOrder.DependenciesOf"/>), so that a tier
    /// removed from the spec is still deleted before the tiers it needs.
    /// </summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];

    public IReadOnlyList<ServerState> Servers { get; init; } = [];

    /// <summary>The rolling replacement under way, if any: from which launch to which, and how far it got.</summary>
    public RolloutState? Rollout { get; init; }

    /// <summary>Servers that count towards the tier: everything not terminating or terminated.</summary>
    public IEnumerable<ServerState> LiveServers => Servers.Where(s => s.IsLive);

    /// <summary>How many servers the tier lacks: its desired count less its live servers, never below zero.</summary>
    public int Lacking() => Math.Max(0, Count.Desired - LiveServers.Count());
}

/// <summary>Where a rolling replacement of a tier's servers is.</summary>
public enum RolloutPhase
{
    /// <summary>New servers replace old ones batch by batch, each batch health-gated and baked.</summary>
    Rolling,

    /// <summary>One canary server runs the new launch; the rest wait for <c>strata promote</c>.</summary>
    AwaitingPromotion,

    /// <summary>The new launch failed its health gate; old-launch servers replace the new ones.</summary>
    RollingBack,
}

/// <summary>A rolling replacement: the launch the tier is leaving and the one it is moving to.</summary>
public sealed record RolloutState
{
    public required string FromImageDigest { get; init; }

    public required string FromLaunchDigest { get; init; }

    public required string ToImageDigest { get; init; }

    public required string ToLaunchDigest { get; init; }

    public required RolloutPhase Phase { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Why the rollout is in its phase, e.g. the health failure that caused a rollback.</summary>
    public string? Reason { get; init; }
}

/// <summary>The bounds and target of a tier's server count.</summary>
public sealed record TierCount(int Min, int Max, int Desired);

/// <summary>Where a server is in its life.</summary>
/// <remarks>
/// The same states as <c>Strata.Api.Contracts.Events.ServerPhase</c>, kept apart on purpose: that one is the wire
/// contract of events (stored and served, its names never change once released, and the contracts depend on no
/// internal model), this one the state model the reconciler decides on. <c>EventSubject.PhaseOf</c> maps one to the
/// other and <c>EventSubjectTests</c> keeps their names in step.
/// </remarks>
public enum ServerStatus
{
    Pending,
    Configuring,
    Booting,
    InService,
    Unhealthy,
    Terminating,
    Terminated,
    Failed,
}

/// <summary>Why a server is terminated, recorded with its Terminating state: it decides what becomes of its volumes.</summary>
public enum TerminationCause
{
    /// <summary>Replaced (unhealthy, failed, rolled to a new launch, rotated): its volumes wait for the replacement.</summary>
    Replacement,

    /// <summary>Scaled in, its tier removed from the spec, or the deployment deleted: the volumes' deletion policy decides.</summary>
    Removal,
}

/// <summary>Why a server failed, recorded with its Failed state where it matters to what happens next.</summary>
public enum FailureCause
{
    /// <summary>Its process was confirmed gone: should it turn out to run after all, it is recovered.</summary>
    ProcessGone,
}

/// <summary>One server: a process on its own loopback address for the local provider.</summary>
public sealed record ServerState
{
    /// <summary>The physical name, <c>deployment-tier-xxxxxx</c>, fixed for the server's life.</summary>
    public required string Name { get; init; }

    public required string Tier { get; init; }

    public required string Zone { get; init; }

    /// <summary>The address the server listens on, known once it is launched.</summary>
    public string? Address { get; init; }

    public required ServerStatus State { get; init; }

    public required string ImageDigest { get; init; }

    public required string LaunchDigest { get; init; }

    public required DateTimeOffset LaunchedAt { get; init; }

    public int? ProcessId { get; init; }

    /// <summary>Why the server is in its state, e.g. the failing health check.</summary>
    public string? Message { get; init; }

    /// <summary>
    /// Why the server is terminating, set with <see cref="ServerStatus.Terminating"/> so that a termination resumed
    /// after a restart treats its volumes the same way. Null on servers not terminating; a terminating record written
    /// before this was kept is treated as a replacement, which keeps its volumes.
    /// </summary>
    public TerminationCause? Termination { get; init; }

    /// <summary>Why the server failed, when that decides what happens next; null otherwise and on servers not failed.</summary>
    public FailureCause? Failure { get; init; }

    /// <summary>When the server entered its current state; null for records written before this was kept.</summary>
    public DateTimeOffset? StateSince { get; init; }

    /// <summary>
    /// A digest of the values the server was launched with that come from other tiers (their addresses): when it
    /// changes, the server is replaced so it sees the new values. Empty when its launch settings refer to no tier.
    /// </summary>
    public string ReferenceDigest { get; init; } = "";

    public bool IsLive => State is not (ServerStatus.Terminating or ServerStatus.Terminated);

    /// <summary>Unhealthy and failed servers are the first to go when a tier shrinks.</summary>
    public bool IsUnhealthy => State is ServerStatus.Unhealthy or ServerStatus.Failed;
}
