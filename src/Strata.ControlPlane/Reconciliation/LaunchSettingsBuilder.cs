using System.Text.Json.Nodes;
using Strata.ControlPlane.Deployments;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Resolves a tier's run command, configure hook, environment and first-boot configuration for one server, once
/// the provider has given it an address.
/// </summary>
public static class LaunchSettingsBuilder
{
    public static LaunchSettings Build(DesiredDeployment desired, DeploymentState state, TierSpec tier, ServerIdentity identity)
    {
        var spec = desired.Spec;
        var image = spec.FindImage(tier.Image)!;
        var resolver = LiveReferences.Resolver(spec, state, identity);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, template) in image.Env.Concat(tier.Env))
        {
            environment[key] = Evaluate(template, resolver);
        }

        environment["STRATA_SERVER_NAME"] = identity.ServerId;
        var commands = new ShellCommandRenderer();
        var run = Render(commands, image.Run, resolver);
        var configureCommand = image.Hooks.TryGetValue(ImageSpec.ConfigureHook, out var configure) ? Render(commands, configure, resolver) : null;
        foreach (var (key, value) in commands.Environment)
        {
            environment[key] = value;
        }

        return new LaunchSettings
        {
            RunCommand = run,
            ConfigureCommand = configureCommand,
            Environment = environment,
            Configuration = Configuration(desired, state, tier, identity, environment),
        };
    }

    private static string Evaluate(Template template, IReferenceResolver resolver)
    {
        var value = TemplateEvaluator.Evaluate(template, resolver);
        return value.Text ?? throw new InvalidOperationException($"{template.Location}: '{template.Raw}' is not known yet");
    }

    /// <summary>A command for <c>/bin/sh -c</c>: values quoted, secrets passed through the environment.</summary>
    public static string Render(ShellCommandRenderer commands, Template template, IReferenceResolver resolver) =>
        commands.Render(template, resolver) ?? throw new InvalidOperationException($"{template.Location}: '{template.Raw}' is not known yet");

    private static JsonObject Configuration(
        DesiredDeployment desired, DeploymentState state, TierSpec tier, ServerIdentity identity, Dictionary<string, string> environment)
    {
        var peers = new JsonArray();
        foreach (var peer in state.FindTier(tier.Name)?.Servers ?? [])
        {
            if (peer.Address is not null && peer.Name != identity.ServerId && peer.IsLive)
            {
                peers.Add(new JsonObject { ["name"] = peer.Name, ["address"] = peer.Address, ["zone"] = peer.Zone });
            }
        }

        var parameters = new JsonObject();
        foreach (var (name, value) in desired.ParameterValues)
        {
            parameters[name] = value.AsText();
        }

        var env = new JsonObject();
        foreach (var (key, value) in environment)
        {
            env[key] = value;
        }

        return new JsonObject
        {
            ["id"] = identity.ServerId,
            ["address"] = identity.Address,
            ["tier"] = tier.Name,
            ["zone"] = identity.Zone,
            ["deployment"] = desired.Spec.Name,
            ["ports"] = new JsonArray([.. tier.Ports.Select(p => (JsonNode)JsonValue.Create(p.Port))]),
            ["peers"] = peers,
            ["env"] = env,
            ["params"] = parameters,
        };
    }
}
