using Microsoft.Extensions.Options;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Backups;

/// <summary>A hook that exited non-zero or ran too long; the message carries the end of its output.</summary>
public sealed class BackupHookException(string message) : Exception(message);

/// <summary>
/// Runs an image's hooks (<c>backup</c>, <c>restore</c>, <c>freeze</c>, <c>thaw</c>, <c>verify</c>) the way the
/// server's own commands run (see <see cref="ServerCommand"/>).
/// </summary>
public sealed class ServerHooks(IServerShell shell, IOptions<BackupOptions> options)
{
    private const int OutputTail = 2000;

    /// <summary>The hook's command for a tier, or null when its image has none.</summary>
    public static Template? Find(DeploymentRuntime runtime, TierSpec tier, string hook) =>
        runtime.Desired.Spec.FindImage(tier.Image)?.Hooks.GetValueOrDefault(hook);

    /// <summary>The file a <c>backup</c> hook writes, or a <c>restore</c> hook reads: <c>STRATA_BACKUP_FILE</c>, at <paramref name="localPath"/> on this machine.</summary>
    public static ShellFile BackupFile(string localPath) => new("STRATA_BACKUP_FILE", localPath);

    /// <summary>
    /// Runs a hook to completion on the server's machine (see <see cref="IServerShell"/>), handing it
    /// <paramref name="input"/> or taking <paramref name="output"/> from it.
    /// </summary>
    /// <exception cref="BackupHookException">The hook could not run, exited non-zero or ran longer than the hook timeout.</exception>
    public Task RunAsync(
        DeploymentRuntime runtime, TierSpec tier, ServerInstance server, string hook, ShellFile? input, ShellFile? output, CancellationToken ct) =>
        RunAsync(runtime, null, tier, server, hook, input, output, options.Value.HookTimeout, ct);

    /// <summary>Runs a hook as the other overload does, stopped on its machine after <paramref name="timeout"/> (a stop hook's shorter limit).</summary>
    public Task RunAsync(DeploymentRuntime runtime, TierSpec tier, ServerInstance server, string hook, TimeSpan timeout, CancellationToken ct) =>
        RunAsync(runtime, null, tier, server, hook, null, null, timeout, ct);

    /// <summary>Runs a hook as <see cref="RunAsync(DeploymentRuntime, TierSpec, ServerInstance, string, ShellFile?, ShellFile?, CancellationToken)"/> does, its references resolved against <paramref name="state"/>.</summary>
    public Task RunAsync(
        DeploymentRuntime runtime, DeploymentState? state, TierSpec tier, ServerInstance server, string hook, ShellFile? input, ShellFile? output, CancellationToken ct) =>
        RunAsync(runtime, state, tier, server, hook, input, output, options.Value.HookTimeout, ct);

    private async Task RunAsync(
        DeploymentRuntime runtime, DeploymentState? state, TierSpec tier, ServerInstance server, string hook, ShellFile? input, ShellFile? output,
        TimeSpan timeout, CancellationToken ct)
    {
        var template = Find(runtime, tier, hook) ?? throw new BackupHookException($"the image of tier {tier.Name} has no '{hook}' hook");
        ServerCommand command;
        try
        {
            command = ServerCommand.For(runtime, tier, server, template, state);
        }
        catch (InvalidOperationException ex)
        {
            throw new BackupHookException($"the '{hook}' hook cannot run yet: {ex.Message}");
        }

        var what = $"{hook} hook of {server.Id}";
        ShellResult result;
        try
        {
            result = await shell.RunAsync(new ShellRequest
            {
                ServerId = server.Id, WorkingDirectory = server.RootPath, Command = command.Text, Environment = command.Environment,
                Timeout = timeout, Input = input, Output = output,
            }, ct).ConfigureAwait(false);
        }
        catch (ProviderException ex)
        {
            throw new BackupHookException($"the {what} could not run: {ex.Message}");
        }

        if (result.TimedOut)
        {
            throw new BackupHookException($"the {what} ran longer than {timeout} and was stopped");
        }

        if (result.ExitCode != 0)
        {
            throw new BackupHookException($"the {what} exited with code {result.ExitCode}: {(result.Text.Length > OutputTail ? result.Text[^OutputTail..] : result.Text)}");
        }
    }
}
