using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Launches one pending server: waits for its volumes to be free and for a slot of the <see cref="LaunchPacer"/>,
/// attaches its volumes, records it <see cref="ServerStatus.Configuring"/>, asks the provider to launch it with
/// settings resolved once its address is known, and records the result: booting (or in service without a health
/// check) when it runs, failed when it does not. Repeating a launch is safe: the provider adopts or starts over.
/// </summary>
public sealed class ServerLaunch(
    ICloudProvider provider, VolumeLifecycle volumes, ImageCatalog images, LaunchPacer pacer, ServerFailures failures, EventLog events, TimeProvider time)
{
    /// <summary>Launches the server; returns it as recorded with its instance when it runs, null otherwise.</summary>
    public async Task<(ServerState Server, ServerInstance Instance)?> LaunchAsync(DeploymentRuntime runtime, ServerState server)
    {
        var ct = CancellationToken.None;
        var desired = runtime.DesiredFor(server);
        var tier = desired.Spec.FindTier(server.Tier);
        if (tier is null)
        {
            return null;
        }

        if (VolumeBook.HeldForReplacement(runtime.State, tier, server.Name) is not null)
        {
            // The server it replaces still has the volume; the launch goes on once that server is fenced and gone.
            return null;
        }

        if (!await pacer.EnterAsync(runtime, server, ct).ConfigureAwait(false))
        {
            return null;
        }

        var attached = await volumes.AttachAsync(runtime, tier, server, ct).ConfigureAwait(false);
        server = server with { ReferenceDigest = References.DigestOf(runtime.Desired, runtime.State, tier) };
        string? launchedDigest = null;
        var request = new LaunchRequest
        {
            ServerId = server.Name,
            Deployment = runtime.Name,
            Tier = tier.Name,
            Zone = server.Zone.Length > 0 ? server.Zone : null,
            Image = await images.GetAsync(runtime, desired, tier.Image, ct).ConfigureAwait(false),
            Volumes = attached,
            Ports = [.. tier.Ports.Select(p => p.Port)],
            Placement = Hosts.TierPlacement.RulesOf(tier),
            Resources = Hosts.TierPlacement.ResourcesOf(tier),
            Settings = identity =>
            {
                // The digest is of the very state the settings are resolved from, so the server is current with what it got.
                var state = runtime.State;
                launchedDigest = References.DigestOf(runtime.Desired, state, tier);
                return LaunchSettingsBuilder.Build(desired, state, tier, identity);
            },
        };
        // Configuring and booting are not waited for in the store: after a crash the launch resumes from pending.
        runtime.Amend(s => s.WithServer(server with { State = ServerStatus.Configuring }, time.GetUtcNow()));
        var instance = await provider.LaunchAsync(request, ct).ConfigureAwait(false);
        server = server with { ReferenceDigest = launchedDigest ?? server.ReferenceDigest };
        return await RecordAsync(runtime, tier, server, instance, ct).ConfigureAwait(false);
    }

    private async Task<(ServerState, ServerInstance)?> RecordAsync(DeploymentRuntime runtime, TierSpec tier, ServerState server, ServerInstance instance, CancellationToken ct)
    {
        if (instance.State != ServerInstanceState.Running)
        {
            // Nothing probes a server before its launch is recorded, so there are no probes to stop.
            await failures.FailAsync(runtime, server with { Address = instance.Address }, instance.Message ?? $"the launch ended {instance.State}", ct).ConfigureAwait(false);
            return null;
        }

        // Without a health check a running process is in service; with one it boots until the check passes.
        var next = server with
        {
            // On a host the server is in the host's zone, whatever the tier's spread had guessed.
            Zone = instance.Zone.Length > 0 ? instance.Zone : server.Zone,
            Address = instance.Address,
            ProcessId = instance.ProcessId,
            LaunchedAt = instance.LaunchedAt,
            State = tier.Health is null ? ServerStatus.InService : ServerStatus.Booting,
            Message = null,
        };
        runtime.Amend(s => s.WithServer(next, time.GetUtcNow()));
        await events.PublishAsync(runtime.Name, EventKinds.ServerState, $"{server.Name} launched at {instance.Address} (pid {instance.ProcessId}); {Describe(next.State)}", EventSubject.OfServer(server.Tier, server.Name, server.State, next.State), cancellationToken: ct).ConfigureAwait(false);
        return (next, instance);
    }

    private static string Describe(ServerStatus state) => state == ServerStatus.InService ? "in service" : "booting";
}
