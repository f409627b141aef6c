namespace Strata.Spec.Model;

/// <summary>
/// What each server of a tier reserves on the host it is placed on (<c>resources: { cpu: 0.5, memory: 256MiB }</c>):
/// placement never fills a host above the CPU cores and memory its agent measured. Without hosts (the local provider)
/// it is accepted and not used.
/// </summary>
public sealed record ResourcesSpec
{
    /// <summary>CPU cores, a fraction allowed (<c>0.5</c>); 0 when the tier does not say, which reserves none.</summary>
    public double Cpu { get; init; }

    /// <summary>Memory in bytes; 0 when the tier does not say, which reserves none.</summary>
    public long MemoryBytes { get; init; }

    public SourceLocation Location { get; init; }
}
