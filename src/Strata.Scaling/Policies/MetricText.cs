using System.Globalization;
using Strata.Spec.Model;

namespace Strata.Scaling.Policies;

/// <summary>How metrics, values and durations read in decisions: <c>cpu 87.5%</c>, <c>requestRate 250 req/s</c>, <c>for 2m</c>.</summary>
internal static class MetricText
{
    public static string Name(ScalingMetric metric) => metric switch
    {
        ScalingMetric.Cpu => "cpu",
        ScalingMetric.Memory => "memory",
        ScalingMetric.RequestRate => "requestRate",
        ScalingMetric.Latency => "latency",
        ScalingMetric.ErrorRate => "errorRate",
        _ => metric.ToString(),
    };

    public static string Value(ScalingMetric metric, double value)
    {
        var number = Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture);
        return metric switch
        {
            ScalingMetric.RequestRate => number + " req/s",
            ScalingMetric.Latency => number + " ms",
            _ => number + "%",
        };
    }

    public static string Duration(TimeSpan duration)
    {
        var seconds = (long)Math.Round(duration.TotalSeconds);
        var (hours, minutes, rest) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
        var text = (hours > 0 ? $"{hours}h" : "") + (minutes > 0 ? $"{minutes}m" : "") + (rest > 0 ? $"{rest}s" : "");
        return text.Length == 0 ? "0s" : text;
    }
}
