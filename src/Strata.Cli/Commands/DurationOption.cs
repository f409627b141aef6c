using System.CommandLine;
using Strata.Spec.Grammar;

namespace Strata.Cli.Commands;

/// <summary>An option that takes a duration written as in specs: <c>90s</c>, <c>5m</c>, <c>1h</c>.</summary>
public static class DurationOption
{
    public static Option<TimeSpan> Create(string name, string description, TimeSpan defaultValue) => new(name)
    {
        Description = $"{description} (e.g. 90s, 5m; default {SpecValues.FormatDuration(defaultValue)})",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (SpecValues.TryParseDuration(text, out var duration) && duration > TimeSpan.Zero)
            {
                return duration;
            }

            result.AddError($"'{text}' is not a duration for {name}; write e.g. 90s, 5m or 1h");
            return defaultValue;
        },
    };
}
