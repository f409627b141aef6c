using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.Spec.Tests;

/// <summary>A hand-written source of live values: the given servers and, for a server's own commands, that server.</summary>
internal sealed class FixedReferenceSource(LiveServer? self, IReadOnlyDictionary<string, IReadOnlyList<LiveServer>> servers) : IReferenceSource
{
    public string Name => self is null ? "test" : $"server {self.Name}";

    public LiveServer? Self => self;

    public IReadOnlyList<LiveServer>? ServersOf(string tier) => servers.GetValueOrDefault(tier);

    /// <summary>A resolver of <paramref name="spec"/> for <paramref name="self"/>, with no other server running.</summary>
    public static ReferenceResolver For(DeploymentSpec spec, LiveServer self) =>
        new(spec, new FixedReferenceSource(self, new Dictionary<string, IReadOnlyList<LiveServer>>()));
}
