using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Reconciliation;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Backups;

/// <summary>A hook that exited non-zero or ran too long; the message carries the end of its output.</summary>
public sealed class BackupHookException(string message) : Exception(message);

/// <summary>
/// Runs an image's hooks (<c>backup</c>, <c>restore</c>, <c>freeze</c>, <c>thaw</c>, <c>verify</c>) the way the
/// server's own commands run (see <see cref="ServerCommand"/>).
/// </summary>
public sealed class ServerHooks(IOptions<BackupOptions> options)
{
    private const int OutputTail = 2000;

    /// <summary>The hook's command for a tier, or null when its image has none.</summary>
    public static Template? Find(DeploymentRuntime runtime, TierSpec tier, string hook) =>
        runtime.Desired.Spec.FindImage(tier.Image)?.Hooks.GetValueOrDefault(hook);

    /// <summary>Runs a hook to completion.</summary>
    /// <exception cref="BackupHookException">The hook exited non-zero or ran longer than the hook timeout.</exception>
    public async Task RunAsync(DeploymentRuntime runtime, TierSpec tier, ServerInstance server, string hook, IReadOnlyDictionary<string, string>? extra, CancellationToken ct)
    {
        var template = Find(runtime, tier, hook) ?? throw new BackupHookException($"the image of tier {tier.Name} has no '{hook}' hook");
        ServerCommand command;
        try
        {
            command = ServerCommand.For(runtime, tier, server, template, extra);
        }
        catch (InvalidOperationException ex)
        {
            throw new BackupHookException($"the '{hook}' hook cannot run yet: {ex.Message}");
        }

        await RunProcessAsync(command.StartInfo(server.RootPath), $"{hook} hook of {server.Id}", ct).ConfigureAwait(false);
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
}
