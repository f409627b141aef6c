using System.Collections.Concurrent;

namespace Strata.ControlPlane.Secrets;

/// <summary>
/// The <see cref="SecretScrubber"/> of each deployment, kept up to date by its runtime, for the places that know a
/// deployment only by name (the event log).
/// </summary>
public sealed class DeploymentSecrets
{
    private readonly ConcurrentDictionary<string, SecretScrubber> _scrubbers = new(StringComparer.Ordinal);

    public SecretScrubber For(string deployment) => _scrubbers.GetValueOrDefault(deployment, SecretScrubber.None);

    public void Set(string deployment, SecretScrubber scrubber) => _scrubbers[deployment] = scrubber;
}
