using Strata.Spec.Model;

namespace Strata.Scaling.Policies;

/// <summary>
/// Decides a tier's desired server count from all its scaling rules at once. On each <see cref="Tick"/>: schedules
/// that fired since the last tick set min, max and desired (and win that tick); otherwise every other rule is
/// evaluated, the largest scale-out wins, and scale-in happens only when no rule wants to scale out (the smallest
/// removal wins). A rule still in its cooldown after the tier's last change cannot act, but its wish to scale out
/// still blocks scale-in. The result is kept within min and max. Nothing is decided while paused.
/// </summary>
public sealed class TierAutoscaler
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<IScalingPolicy> _policies;
    private readonly IReadOnlyList<SchedulePolicy> _schedules;
    private TierScalingState _state;

    /// <param name="tier">The tier: its name, <see cref="TierSpec.Servers"/> bounds and <see cref="TierSpec.Scaling"/> rules.</param>
    /// <param name="options">Tuning shared by the rules.</param>
    /// <param name="time">The clock; cooldowns, breach periods, windows and schedules are measured with it.</param>
    /// <param name="restored">A state saved from an earlier autoscaler of the tier; rules that changed start afresh.</param>
    /// <exception cref="ArgumentException">A rule or an option is invalid; the message lists every problem.</exception>
    public TierAutoscaler(TierSpec tier, TierAutoscalerOptions options, TimeProvider time, TierScalingState? restored = null)
    {
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var errors = options.Validate().Concat(ScalingRuleChecks.Check(tier)).ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Cannot autoscale tier '{tier.Name}': {string.Join("; ", errors)}", nameof(tier));
        }

        Tier = tier.Name;
        _time = time;
        _policies = [.. tier.Scaling.Where(r => r.Kind != ScalingRuleKind.Schedule).Select(r => Create(r, options))];
        _schedules = [.. tier.Scaling.Where(r => r.Kind == ScalingRuleKind.Schedule).Select(r => new SchedulePolicy(r))];
        _state = Adopt(restored, tier.Servers);
    }

    public string Tier { get; }

    /// <summary>The state after the last tick, to show or persist.</summary>
    public TierScalingState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>
    /// Evaluates every rule now. Returns the change to make, or null. When a schedule only moved the bounds,
    /// <see cref="ScalingDecision.NewDesired"/> equals the current count and <see cref="State"/> has the new bounds.
    /// </summary>
    public ScalingDecision? Tick(ScalingInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegative(input.Desired, nameof(input) + "." + nameof(input.Desired));
        ArgumentOutOfRangeException.ThrowIfNegative(input.InService, nameof(input) + "." + nameof(input.InService));
        lock (_gate)
        {
            if (_state.Paused)
            {
                return null;
            }

            var now = _time.GetUtcNow();
            var (state, decision) = ApplySchedules(_state, now, input.Desired);
            if (decision is null)
            {
                (state, decision) = ApplyPolicies(state, now, input);
            }

            _state = state with { Version = state.Version + 1 };
            return decision;
        }
    }

    /// <summary>Stops deciding, e.g. while a rolling update replaces the tier's servers.</summary>
    public void Pause()
    {
        lock (_gate)
        {
            _state = _state.Paused ? _state : _state with { Paused = true, Version = _state.Version + 1 };
        }
    }

    /// <summary>
    /// Decides again from the next tick. Measurements taken during the pause are forgotten: breach periods and
    /// stabilization windows start over. Schedules that fired during the pause take effect at the next tick.
    /// </summary>
    public void Resume()
    {
        lock (_gate)
        {
            if (_state.Paused)
            {
                var now = _time.GetUtcNow();
                _state = _state with { Paused = false, Policies = [.. _policies.Select(p => p.Restart(now))], Version = _state.Version + 1 };
            }
        }
    }

    private (TierScalingState State, ScalingDecision? Decision) ApplySchedules(TierScalingState state, DateTimeOffset now, int desired)
    {
        var checkedAt = state.SchedulesCheckedAt ?? now;
        var fired = _schedules
            .Select((schedule, index) => (Schedule: schedule, Index: index, At: schedule.FiredBetween(checkedAt, now)))
            .Where(f => f.At is not null)
            .OrderBy(f => f.At).ThenBy(f => f.Index)
            .ToList();
        var (min, max, newDesired) = (state.Min, state.Max, desired);
        var reasons = new List<string>();
        foreach (var (schedule, _, _) in fired)
        {
            (min, max, newDesired, var reason) = schedule.Apply(min, max, newDesired);
            reasons.Add(reason);
        }

        var next = state with { SchedulesCheckedAt = now, Min = min, Max = max };
        if (newDesired == desired && min == state.Min && max == state.Max)
        {
            return (next, null);
        }

        next = newDesired == desired ? next : AfterAction(next, now, newDesired);
        return (next, new ScalingDecision(newDesired, string.Join("; ", reasons), null, null));
    }

    private (TierScalingState State, ScalingDecision? Decision) ApplyPolicies(TierScalingState state, DateTimeOffset now, ScalingInput input)
    {
        var context = new PolicyContext(now, input);
        var evaluations = _policies.Select((p, i) => (Policy: p, Result: p.Evaluate(context, state.Policies[i]))).ToList();
        state = state with { Policies = [.. evaluations.Select(e => e.Result.State)] };
        var wishes = evaluations.Where(e => e.Result.Recommendation is not null).Select(e => (e.Policy, Wish: e.Result.Recommendation!)).ToList();
        var wantsOut = wishes.Any(w => w.Wish.Desired > input.Desired);
        var chosen = wishes
            .Where(w => wantsOut ? w.Wish.Desired > input.Desired : w.Wish.Desired < input.Desired)
            .Where(w => state.LastActionAt is not { } last || now >= last + w.Policy.Rule.Cooldown)
            .Select(w => w.Wish)
            .MaxBy(w => w.Desired);
        if ((chosen is null ? Limit(input.Desired, state) : Clamp(chosen, input.Desired, state)) is not { } decision)
        {
            return (state, null);
        }

        // Only a rule's action starts the cooldowns; pulling the count back within bounds does not.
        var acted = AfterAction(state, now, decision.NewDesired);
        return (chosen is null ? acted with { LastActionAt = state.LastActionAt } : acted, decision);
    }

    private static ScalingDecision? Clamp(Recommendation wish, int desired, TierScalingState state)
    {
        var clamped = Math.Clamp(wish.Desired, state.Min, state.Max);
        if (clamped == desired)
        {
            return null;
        }

        var limit = clamped == wish.Desired ? "" : clamped == state.Max ? $" (limited to max {state.Max})" : $" (limited to min {state.Min})";
        return new ScalingDecision(clamped, wish.Reason + limit, wish.Metric, wish.Value);
    }

    // A count set by hand or before the bounds changed may lie outside them.
    private static ScalingDecision? Limit(int desired, TierScalingState state) =>
        desired > state.Max ? new ScalingDecision(state.Max, $"desired {desired} is above max {state.Max}", null, null)
        : desired < state.Min ? new ScalingDecision(state.Min, $"desired {desired} is below min {state.Min}", null, null)
        : null;

    private TierScalingState AfterAction(TierScalingState state, DateTimeOffset now, int desired) => state with
    {
        LastActionAt = now,
        Policies = [.. _policies.Select((p, i) => p.AfterAction(state.Policies[i], now, desired))],
    };

    private TierScalingState Adopt(TierScalingState? restored, ServerCount servers)
    {
        var now = _time.GetUtcNow();
        var policies = _policies.Select((p, i) =>
            restored?.Policies.ElementAtOrDefault(i) is { } kept && kept.GetType() == p.InitialState.GetType() ? kept : p.Restart(now));
        var min = Math.Clamp(restored?.Min ?? servers.Min, servers.Min, servers.Max);
        var max = Math.Clamp(restored?.Max ?? servers.Max, min, servers.Max);
        return (restored ?? new TierScalingState { Min = min, Max = max }) with { Min = min, Max = max, Policies = [.. policies] };
    }

    private static IScalingPolicy Create(ScalingRuleSpec rule, TierAutoscalerOptions options) => rule.Kind switch
    {
        ScalingRuleKind.Threshold => new ThresholdPolicy(rule, options.BreachWindowTolerance),
        ScalingRuleKind.TargetTracking => new TargetTrackingPolicy(rule, options.TargetTolerance),
        ScalingRuleKind.Hook => new HookPolicy(rule),
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule.Kind, "not a per-tick scaling rule"),
    };
}
