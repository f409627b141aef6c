using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Reconciliation;
using Strata.Providers;
using Strata.Spec;

namespace Strata.ControlPlane.Backups;

/// <summary>A hook that exited non-zero or ran too long; the message carries the end of its output.</summary>
public sealed class BackupHookException(string message) : Exception(message);

/// <summary>
/// Runs an image's hooks (<c>backup</c>, <c>restore</c>, <c>freeze</c>, <c>thaw</c>, <c>verify</c>) the way the
/// server's own commands run: <c>/bin/sh -c</c> in the server's root, with the server's environment.
/// </summary>
public sealed class ServerHooks(IOptions<BackupOptions> options)
{
    private const int OutputTail = 2000;
    private static readonly string[] s_inherited = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"];

    /// <summary>The hook's command for a tier, or null when its image has none.</summary>
    public static Template? Find(DeploymentRuntime runtime, TierSpec tier, string hook) =>
        runtime.Desired.Spec.FindImage(tier.Image)?.Hooks.GetValueOrDefault(hook);

    /// <summary>The environment the server's commands see, plus <paramref name="extra"/>.</summary>
    public static Dictionary<string, string> Environment(DeploymentRuntime runtime, TierSpec tier, ServerInstance server, IReadOnlyDictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in s_inherited)
        {
            if (System.Environment.GetEnvironmentVariable(name) is { } value)
            {
                environment[name] = value;
            }
        }

        var settings = LaunchSettingsBuilder.Build(runtime.Desired, runtime.State, tier, Identity(runtime, tier, server));
        foreach (var (key, value) in settings.Environment.Concat(VolumeVariables(tier, server)).Concat(extra ?? new Dictionary<string, string>()))
        {
            environment[key] = value;
        }

        environment["STRATA_SERVER_ID"] = server.Id;
        environment["STRATA_ADDRESS"] = server.Address;
        environment["STRATA_TIER"] = server.Tier;
        environment["STRATA_ZONE"] = server.Zone;
        environment["STRATA_DEPLOYMENT"] = server.Deployment;
        environment["STRATA_CONFIG"] = server.ConfigPath;
        return environment;
    }

    /// <summary>Runs a hook to completion.</summary>
    /// <exception cref="BackupHookException">The hook exited non-zero or ran longer than the hook timeout.</exception>
    public async Task RunAsync(DeploymentRuntime runtime, TierSpec tier, ServerInstance server, string hook, IReadOnlyDictionary<string, string>? extra, CancellationToken ct)
    {
        var template = Find(runtime, tier, hook) ?? throw new BackupHookException($"the image of tier {tier.Name} has no '{hook}' hook");
        var identity = Identity(runtime, tier, server);
        var command = TemplateEvaluator.Evaluate(template, new RuntimeResolver(runtime.Desired.Spec, runtime.Desired.ParameterValues, runtime.State, identity)).Text
            ?? throw new BackupHookException($"{template.Location}: the '{hook}' hook has no value yet");
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = server.RootPath, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment.Clear();
        foreach (var (key, value) in Environment(runtime, tier, server, extra))
        {
            start.Environment[key] = value;
        }

        await RunProcessAsync(start, $"{hook} hook of {server.Id}", ct).ConfigureAwait(false);
    }

    private async Task RunProcessAsync(ProcessStartInfo start, string what, CancellationToken ct)
    {
        using var process = Process.Start(start) ?? throw new BackupHookException($"the {what} could not be started");
        var output = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.HookTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            ct.ThrowIfCancellationRequested();
            throw new BackupHookException($"the {what} ran longer than {options.Value.HookTimeout} and was stopped");
        }

        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            string text;
            lock (output)
            {
                text = output.ToString().Trim();
            }

            throw new BackupHookException($"the {what} exited with code {process.ExitCode}: {(text.Length > OutputTail ? text[^OutputTail..] : text)}");
        }
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder output)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static ServerIdentity Identity(DeploymentRuntime runtime, TierSpec tier, ServerInstance server) =>
        new(server.Id, server.Name, server.Deployment, tier.Name, server.Zone, server.Address, server.RootPath, server.ConfigPath,
            tier.Volumes.ToDictionary(v => v.Name, v => Path.Combine(server.RootPath, v.Mount), StringComparer.Ordinal));

    /// <summary>Each volume's variable, named as the provider names it: <c>STRATA_VOLUME_</c> and the name in upper case.</summary>
    private static IEnumerable<KeyValuePair<string, string>> VolumeVariables(TierSpec tier, ServerInstance server) =>
        tier.Volumes.Select(v => KeyValuePair.Create(
            "STRATA_VOLUME_" + new string([.. v.Name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_')]),
            Path.Combine(server.RootPath, v.Mount)));
}
