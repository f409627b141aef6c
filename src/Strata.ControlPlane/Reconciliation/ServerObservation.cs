using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.Planning.State;
using Strata.Providers;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Holds each recorded server against what the provider lists, at the start of a pass: resumes interrupted intents
/// (a launch of a pending or configuring server, a termination), fails a server whose process is confirmed gone,
/// recovers one failed as gone that runs after all, keeps running ones probed; and, at the end of the pass,
/// terminates what the provider runs that the state does not know. A server with an operation under way is left to it.
/// </summary>
public sealed class ServerObservation(
    ICloudProvider provider, ServerLifecycle lifecycle, DeathVerdicts deaths, TierCapacityGate capacity, EventLog events, TimeProvider time)
{
    /// <summary>Lists the deployment's servers at the provider and acts on each recorded one; returns the listing by id.</summary>
    public async Task<Dictionary<string, ServerInstance>> ObserveAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        var observed = ById(await provider.ListServersAsync(runtime.Name, ct).ConfigureAwait(false));
        var held = await HeldForCapacityAsync(runtime, ct).ConfigureAwait(false);
        foreach (var server in runtime.State.Tiers.SelectMany(t => t.Servers).ToList())
        {
            if (!lifecycle.IsBusy(server.Name) && !held.Contains(server.Name))
            {
                await ObserveAsync(runtime, server, observed.GetValueOrDefault(server.Name), ct).ConfigureAwait(false);
            }
        }

        // Suspicions of servers that no longer need a second look (running again, gone from the state) are forgotten.
        deaths.Settle(runtime.Name, runtime.State, observed);
        return observed;
    }

    /// <summary>
    /// The listing by server id. A provider may list one server twice, e.g. two registered hosts that are the same
    /// machine (added twice, or by two addresses) and share its agent's folder: the running entry is the one that
    /// counts, so that the server is neither failed nor launched again.
    /// </summary>
    internal static Dictionary<string, ServerInstance> ById(IEnumerable<ServerInstance> listing) =>
        listing.GroupBy(s => s.Id, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.FirstOrDefault(s => s.State == ServerInstanceState.Running) ?? g.First(), StringComparer.Ordinal);

    /// <summary>
    /// The pending servers not to launch yet: those of a tier whose pending servers do not all fit where they would
    /// run (an apply's new servers start all or none).
    /// </summary>
    private async Task<HashSet<string>> HeldForCapacityAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        var held = new HashSet<string>(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        capacity.BeginPass(runtime.Name);
        foreach (var tier in runtime.State.Tiers)
        {
            var pending = tier.Servers.Where(s => s.State == ServerStatus.Pending && !lifecycle.IsBusy(s.Name) && LaunchGate.MayStart(runtime, s, now)).ToList();
            if (pending.Count > 0 && runtime.Desired.Spec.FindTier(tier.LogicalName) is { } spec
                && !await capacity.AllowAsync(runtime, spec, pending.Count, ct).ConfigureAwait(false))
            {
                held.UnionWith(pending.Select(s => s.Name));
            }
        }

        return held;
    }

    private async Task ObserveAsync(DeploymentRuntime runtime, ServerState server, ServerInstance? instance, CancellationToken ct)
    {
        switch (server.State)
        {
            case ServerStatus.Pending when !LaunchGate.MayStart(runtime, server, time.GetUtcNow()):
                break;
            case ServerStatus.Pending or ServerStatus.Configuring:
                lifecycle.StartLaunch(runtime, server);
                break;
            case ServerStatus.Terminating:
                // Resumed after a restart, or retried after a refusal (a host away): the reason stored with the state.
                lifecycle.StartTermination(runtime, server, server.Message is { Length: > 0 } reason ? reason : "resuming an interrupted termination");
                break;
            case ServerStatus.Booting or ServerStatus.InService or ServerStatus.Unhealthy when instance?.State != ServerInstanceState.Running:
                await ConfirmDeathAsync(runtime, server, ct).ConfigureAwait(false);
                break;
            case ServerStatus.Failed when DeathVerdicts.WronglyFailed(server, instance, runtime.State.Volumes.Any(v => v.Tier == server.Tier)):
                await lifecycle.RecoverAsync(runtime, server, instance!, ct).ConfigureAwait(false);
                break;
            case ServerStatus.Booting or ServerStatus.InService or ServerStatus.Unhealthy:
                lifecycle.Probe(runtime, server, instance!);
                break;
        }
    }

    /// <summary>
    /// Fails a server the listing showed not running once a second look confirms it; one that runs is probed. While
    /// the verdict is pending, <see cref="DeathVerdicts"/> has asked for the pass that looks again.
    /// </summary>
    private async Task ConfirmDeathAsync(DeploymentRuntime runtime, ServerState server, CancellationToken ct)
    {
        var verdict = await deaths.JudgeAsync(runtime.Name, server, ct).ConfigureAwait(false);
        if (verdict.Running is { } running)
        {
            lifecycle.Probe(runtime, server, running);
        }
        else if (verdict.Death is { } death)
        {
            await lifecycle.MarkFailedAsync(runtime, server with { Failure = FailureCause.ProcessGone }, death, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Servers the provider runs for this deployment that the state does not know: leftovers of a crash.</summary>
    public async Task TerminateOrphansAsync(DeploymentRuntime runtime, Dictionary<string, ServerInstance> observed, CancellationToken ct)
    {
        var known = runtime.State.PhysicalNames().ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in observed.Values.Where(o => !known.Contains(o.Id) && !lifecycle.IsBusy(o.Id)))
        {
            if (await provider.DescribeServerAsync(orphan.Id, ct).ConfigureAwait(false) is null)
            {
                // Terminated since the listing at the start of the pass: gone from the state and the provider both.
                continue;
            }

            await events.PublishAsync(runtime.Name, EventKinds.ServerOrphan, $"{orphan.Id} is not in the state; terminating it", new EventSubject { Resource = orphan.Id, Server = orphan.Id }, EventSeverity.Warning, ct).ConfigureAwait(false);
            lifecycle.StartOrphanTermination(runtime, orphan.Id);
        }
    }
}
