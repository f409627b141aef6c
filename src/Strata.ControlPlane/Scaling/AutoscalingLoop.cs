using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Scaling.Metrics;
using Strata.Scaling.Policies;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Scaling;

/// <summary>
/// Ticks every tier that has scaling rules: measures it, asks its <see cref="TierAutoscaler"/> and writes a new
/// desired count (and schedule bounds) to the state, with an event naming the metric and value behind the decision.
/// The reconciler then launches or drains servers. Autoscaling pauses while a tier rolls out a new launch.
/// </summary>
public sealed partial class AutoscalingLoop(
    DeploymentRegistry registry,
    TierMeasurements measurements,
    ICloudProvider provider,
    IServerShell shell,
    Events.EventLog events,
    IOptions<AutoscalingOptions> options,
    TimeProvider time,
    ILogger<AutoscalingLoop> logger) : BackgroundService
{
    private readonly TierAutoscalers _scalers = new(time);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await registry.WhenLoaded.WaitAsync(stoppingToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await TickAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or HttpRequestException or ArgumentException)
            {
                LogTickFailed(logger, ex);
            }
        }
    }

    private async Task TickAsync(CancellationToken ct)
    {
        var scaled = registry.All.Where(r => !r.IsDeleting)
            .SelectMany(r => r.Desired.Spec.Tiers.Where(t => t.Scaling.Count > 0).Select(t => (Runtime: r, Tier: t)))
            .ToList();
        _scalers.Retain(scaled.Select(x => (x.Runtime, x.Tier.Name)));
        if (scaled.Count == 0)
        {
            // The next tier to be scaled must not measure its first window from a sample taken long before.
            measurements.Forget();
            return;
        }

        var pids = scaled.SelectMany(x => x.Runtime.State.FindTier(x.Tier.Name)?.Servers ?? []).Select(s => s.ProcessId).OfType<int>();
        var snapshot = measurements.SampleProcesses(pids);
        try
        {
            foreach (var (runtime, tier) in scaled)
            {
                await TickTierAsync(runtime, tier, snapshot, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            measurements.CompleteTick(snapshot);
        }
    }

    private async Task TickTierAsync(DeploymentRuntime runtime, TierSpec tier, ProcessTreeSnapshot snapshot, CancellationToken ct)
    {
        if (runtime.State.FindTier(tier.Name) is not { } state)
        {
            return;
        }

        var scaler = _scalers.For(runtime, tier, state);
        if (state.Rollout is null)
        {
            scaler.Resume();
        }
        else
        {
            scaler.Pause();
        }

        var input = new ScalingInput
        {
            Desired = state.Count.Desired,
            InService = state.Servers.Count(s => s.State == ServerStatus.InService),
            Metrics = await measurements.MeasureAsync(runtime, state, snapshot, ct).ConfigureAwait(false),
            HookVotes = await HookVotesAsync(runtime, tier, state, ct).ConfigureAwait(false),
        };
        if (scaler.Tick(input) is { } decision)
        {
            await ApplyAsync(runtime, state, scaler.State, decision, ct).ConfigureAwait(false);
        }
    }

    private async Task ApplyAsync(DeploymentRuntime runtime, TierState state, TierScalingState scaling, ScalingDecision decision, CancellationToken ct)
    {
        var count = new TierCount(scaling.Min, scaling.Max, decision.NewDesired);
        if (count == state.Count)
        {
            return;
        }

        await runtime.MutateAsync(s => s.FindTier(state.LogicalName) is { } t ? s.WithTier(t with { Count = count }) : s, ct).ConfigureAwait(false);
        var text = decision.NewDesired == state.Count.Desired
            ? $"tier {state.LogicalName} bounds now {count.Min}..{count.Max}: {decision.Reason}"
            : $"scaling tier {state.LogicalName} from {state.Count.Desired} to {decision.NewDesired}: {decision.Reason}";
        await events.PublishAsync(runtime.Name, EventKinds.TierScaling, text, EventSubject.OfTier(state.LogicalName), cancellationToken: ct).ConfigureAwait(false);
        registry.Signal(runtime.Name);
    }

    /// <summary>Runs each <c>hook</c> rule's image hook on every server in service and collects the 1 / 0 / -1 answers.</summary>
    private async Task<IReadOnlyDictionary<string, IReadOnlyList<int>>> HookVotesAsync(DeploymentRuntime runtime, TierSpec tier, TierState state, CancellationToken ct)
    {
        var votes = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        var image = runtime.Desired.Spec.FindImage(tier.Image);
        foreach (var hook in tier.Scaling.Where(r => r.Kind == ScalingRuleKind.Hook).Select(r => r.Hook ?? "scaleCheck").Distinct())
        {
            if (image?.Hooks.TryGetValue(hook, out var command) != true)
            {
                continue;
            }

            var answers = new List<int>();
            foreach (var server in state.Servers.Where(s => s.State == ServerStatus.InService))
            {
                if (await AskAsync(runtime, tier, server, command!, ct).ConfigureAwait(false) is { } answer)
                {
                    answers.Add(answer);
                }
            }

            votes[hook] = answers;
        }

        return votes;
    }

    private async Task<int?> AskAsync(DeploymentRuntime runtime, TierSpec tier, ServerState server, Template template, CancellationToken ct)
    {
        if (await provider.DescribeServerAsync(server.Name, ct).ConfigureAwait(false) is not { } instance)
        {
            return null;
        }

        ServerCommand command;
        try
        {
            command = ServerCommand.For(runtime, tier, instance, template);
        }
        catch (InvalidOperationException ex)
        {
            LogHookIgnored(logger, server.Name, ex.Message);
            return null;
        }

        try
        {
            var result = await shell.RunAsync(new ShellRequest
            {
                ServerId = instance.Id, WorkingDirectory = instance.RootPath, Command = command.Text, Environment = command.Environment,
                Timeout = options.Value.HookTimeout,
            }, ct).ConfigureAwait(false);
            if (result.TimedOut)
            {
                LogHookIgnored(logger, server.Name, $"it ran longer than {options.Value.HookTimeout} and was stopped");
            }

            return result.Succeeded ? HookAnswer.Parse(result.Output) : null;
        }
        catch (Exception ex) when (ex is ProviderException or FormatException)
        {
            LogHookIgnored(logger, server.Name, ex.Message);
            return null;
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "An autoscaling tick failed; the next tick tries again")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "The scaleCheck answer of {Server} was ignored: {Reason}")]
    private static partial void LogHookIgnored(ILogger logger, string server, string reason);
}
