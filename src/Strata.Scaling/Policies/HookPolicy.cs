using System.Globalization;
using Strata.Spec.Model;

namespace Strata.Scaling.Policies;

/// <summary>
/// Asks the image: each in-service server's hook answers 1 (add), 0 (keep) or -1 (remove), and the answer given by
/// more servers than any other wins; <c>step</c> servers are added or removed. A tie for the most votes changes nothing.
/// </summary>
internal sealed class HookPolicy(ScalingRuleSpec rule) : IScalingPolicy
{
    private readonly string _hook = rule.Hook ?? throw new ArgumentException("a hook rule needs a hook name", nameof(rule));

    public ScalingRuleSpec Rule { get; } = rule;

    public PolicyState InitialState { get; } = new HookState();

    public PolicyEvaluation Evaluate(PolicyContext context, PolicyState state)
    {
        if (!context.Input.HookVotes.TryGetValue(_hook, out var votes) || Majority(votes) is not { } winner || winner.Vote == 0)
        {
            return new PolicyEvaluation(state, null);
        }

        var desired = context.Input.Desired + (winner.Vote * Rule.Step);
        var answer = winner.Vote.ToString(CultureInfo.InvariantCulture);
        return new PolicyEvaluation(state, new Recommendation(desired, $"{_hook}: {winner.Count} of {votes.Count} servers answered {answer}", _hook, winner.Vote));
    }

    public PolicyState AfterAction(PolicyState state, DateTimeOffset now, int desired) => state;

    /// <summary>The answer with the most votes and its count, or null when there are none or the top is tied.</summary>
    internal static (int Vote, int Count)? Majority(IReadOnlyList<int> votes)
    {
        if (votes.Any(v => v is < -1 or > 1))
        {
            throw new ArgumentException($"hook votes must be 1, 0 or -1, got {string.Join(", ", votes)}", nameof(votes));
        }

        var ranked = votes.GroupBy(v => v).Select(g => (Vote: g.Key, Count: g.Count())).OrderByDescending(g => g.Count).ToList();
        return ranked.Count == 0 || (ranked.Count > 1 && ranked[0].Count == ranked[1].Count) ? null : ranked[0];
    }
}
