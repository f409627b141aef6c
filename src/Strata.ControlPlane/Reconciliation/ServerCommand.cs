using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// A command run on a server the way its own commands run: <c>/bin/sh -c</c> in the server's root with the server's
/// environment and nothing else of the control plane's. Hooks, health <c>command</c> checks and <c>scaleCheck</c>
/// all start this way, so a template means the same in each: values quoted, secrets passed through the environment
/// (see <see cref="ShellCommandRenderer"/>).
/// </summary>
/// <param name="Text">The command text given to the shell; it holds no secret value.</param>
/// <param name="Environment">The server's own variables; the machine it runs on adds its basic ones.</param>
public sealed record ServerCommand(string Text, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>
    /// Resolves <paramref name="template"/> for <paramref name="server"/>, its references against <paramref name="state"/>
    /// (the deployment's own state when null; a drill's scratch copy gives its own).
    /// </summary>
    /// <exception cref="InvalidOperationException">A value the command or the server's environment uses is not known yet.</exception>
    public static ServerCommand For(DeploymentRuntime runtime, TierSpec tier, ServerInstance server, Template template, DeploymentState? state = null)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var references = state ?? runtime.State;
        var identity = Identity(tier, server);
        var commands = new ShellCommandRenderer();
        var resolver = LiveReferences.Resolver(runtime.Desired.Spec, references, identity);
        var text = LaunchSettingsBuilder.Render(commands, template, resolver);
        var environment = ServerEnvironment(runtime, references, tier, server, identity);
        foreach (var (key, value) in commands.Environment)
        {
            environment[key] = value;
        }

        return new ServerCommand(text, environment);
    }

    /// <summary>
    /// The server's own variables, which its commands see over their machine's basic ones (see <see cref="IServerShell"/>):
    /// its launch environment, volumes and <c>STRATA_*</c>.
    /// </summary>
    private static Dictionary<string, string> ServerEnvironment(DeploymentRuntime runtime, DeploymentState state, TierSpec tier, ServerInstance server, ServerIdentity identity)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        var settings = LaunchSettingsBuilder.Build(runtime.Desired, state, tier, identity);
        foreach (var (key, value) in settings.Environment.Concat(VolumeVariables(tier, server)))
        {
            // The launch's own secret variables belong to its run command; this command gets its own.
            if (!key.StartsWith(ShellCommandRenderer.SecretVariablePrefix, StringComparison.Ordinal))
            {
                environment[key] = value;
            }
        }

        environment["STRATA_SERVER_ID"] = server.Id;
        environment["STRATA_ADDRESS"] = server.Address;
        environment["STRATA_TIER"] = server.Tier;
        environment["STRATA_ZONE"] = server.Zone;
        environment["STRATA_DEPLOYMENT"] = server.Deployment;
        environment["STRATA_CONFIG"] = server.ConfigPath;
        return environment;
    }

    private static ServerIdentity Identity(TierSpec tier, ServerInstance server) =>
        new(server.Id, server.Name, server.Deployment, tier.Name, server.Zone, server.Address, server.RootPath, server.ConfigPath,
            tier.Volumes.ToDictionary(v => v.Name, v => Path.Combine(server.RootPath, v.Mount), StringComparer.Ordinal));

    /// <summary>Each volume's variable, named as the provider names it: <c>STRATA_VOLUME_</c> and the name in upper case.</summary>
    private static IEnumerable<KeyValuePair<string, string>> VolumeVariables(TierSpec tier, ServerInstance server) =>
        tier.Volumes.Select(v => KeyValuePair.Create(
            "STRATA_VOLUME_" + new string([.. v.Name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_')]),
            Path.Combine(server.RootPath, v.Mount)));
}
