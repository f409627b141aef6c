namespace Strata.Spec.Model;

/// <summary>A count written either as a number of servers or a percentage of the tier.</summary>
public readonly record struct CountOrPercent(double Value, bool IsPercent)
{
    public int Resolve(int total) => IsPercent ? (int)Math.Ceiling(total * Value / 100.0) : (int)Value;

    public override string ToString() => IsPercent ? $"{Value}%" : ((int)Value).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>How a tier's servers are replaced when its image or launch settings change.</summary>
public sealed record UpdatePolicySpec
{
    /// <summary>Extra servers launched above desired during an update. The default is 1.</summary>
    public CountOrPercent MaxSurge { get; init; } = new(1, false);

    /// <summary>Servers that may be out of service during an update. The default is 0.</summary>
    public CountOrPercent MaxUnavailable { get; init; } = new(0, false);

    /// <summary>How long a batch is watched after it is healthy before the next one. The default is 0 seconds.</summary>
    public TimeSpan Bake { get; init; } = TimeSpan.Zero;

    /// <summary>Roll back to the previous image when new servers fail. The default is true.</summary>
    public bool Rollback { get; init; } = true;

    /// <summary>Launch one new server first and wait for <c>strata promote</c>. The default is false.</summary>
    public bool Canary { get; init; }

    public SourceLocation Location { get; init; }
}
