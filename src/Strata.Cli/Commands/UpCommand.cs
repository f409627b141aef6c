using System.CommandLine;
using System.Text.Json;
using Strata.Api.Contracts;
using Strata.Cli.Client;
using Strata.Planning.SavedPlans;
using Strata.Planning.Serialization;

namespace Strata.Cli.Commands;

/// <summary><c>strata up FILE</c>: applies a spec and follows it until the deployment is converged or has failed.</summary>
public sealed class UpCommand(CliContext context)
{
    private readonly SpecArguments _spec = new();
    private readonly Option<FileInfo?> _plan = new("--plan") { Description = "Execute exactly this saved plan (from `strata plan --out`); refused if the deployment changed since." };
    private readonly Option<string?> _listen = new("--listen") { Description = $"Where a control plane started by this command listens (default {Strata.ControlPlane.Hosting.ControlPlaneOptions.DefaultListen})." };
    private readonly Option<TimeSpan> _timeout = DurationOption.Create("--timeout", "How long to wait for convergence", TimeSpan.FromMinutes(10));
    private readonly Option<bool> _noWait = new("--no-wait") { Description = "Return once the spec is accepted." };
    private readonly Option<bool> _json = new("--json") { Description = "Print the final status as JSON on stdout." };

    public Command Create()
    {
        var command = new Command("up", "Create or update a deployment to match its spec, and wait until it serves.");
        _spec.AddTo(command);
        foreach (var option in new Option[] { _plan, _listen, _timeout, _noWait, _json })
        {
            command.Options.Add(option);
        }

        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken ct)
    {
        // Finding the running control plane (its listener checked, one request) and reading the spec are each a good
        // part of the CLI's own start, so they run side by side; none is started before the spec is known to be valid.
        var running = Task.Run(() => context.FindControlPlaneAsync(ct), ct);
        var (spec, values, code) = SpecOutput.Load(context, _spec, result);
        if (spec is null)
        {
            await ReleaseAsync(running).ConfigureAwait(false);
            return code;
        }

        context.Timeline.Mark("spec loaded");
        var request = new ApplyRequest
        {
            SpecPath = _spec.SpecPath(result),
            Parameters = SpecArguments.Given(spec, values),
            SavedPlan = result.GetValue(_plan) is { } file ? PlanJson.Serialize(SavedPlan.Read(file.FullName)) : null,
        };
        using var client = await running.ConfigureAwait(false) ?? await context.StartControlPlaneAsync(result.GetValue(_listen), ct).ConfigureAwait(false);
        context.Timeline.Mark("control plane connected");
        var lastEvent = await LastEventAsync(client, spec.Name, ct).ConfigureAwait(false);
        context.Timeline.Mark("last event read");
        var applied = await client.ApplyAsync(spec.Name, request, ct).ConfigureAwait(false);
        context.Timeline.Mark($"applied (serial {applied.Serial})");
        await context.Error.WriteAsync(applied.PlanText).ConfigureAwait(false);
        foreach (var warning in applied.Warnings)
        {
            await context.Error.WriteLineAsync($"warning: {warning}").ConfigureAwait(false);
        }

        if (result.GetValue(_noWait))
        {
            return ExitCodes.Success;
        }

        await context.Error.WriteLineAsync($"Applying {spec.Name} (serial {applied.Serial})…").ConfigureAwait(false);
        var (status, exit) = await new ConvergenceWatcher(context, client).WaitAsync(spec.Name, lastEvent, result.GetValue(_timeout), ct).ConfigureAwait(false);
        if (status is not null)
        {
            WriteResult(status, result.GetValue(_json), exit);
        }

        return exit;
    }

    /// <summary>Lets go of the control plane found while an invalid spec was read; the spec's errors are what to report.</summary>
    private static async Task ReleaseAsync(Task<ControlPlaneClient?> running)
    {
        try
        {
            (await running.ConfigureAwait(false))?.Dispose();
        }
        catch (Exception ex) when (ex is UntrustedListenerException or ControlPlaneException or HttpRequestException or OperationCanceledException)
        {
            // Said by the next command that needs the control plane; this one stops at the spec.
        }
    }

    private static async Task<long> LastEventAsync(ControlPlaneClient client, string name, CancellationToken ct)
    {
        long last = 0;
        try
        {
            await foreach (var e in client.EventsAsync(name, 0, follow: false, ct).ConfigureAwait(false))
            {
                last = e.Id;
            }
        }
        catch (ControlPlaneException)
        {
            // A new deployment has no events yet.
        }

        return last;
    }

    private void WriteResult(DeploymentStatusDto status, bool json, int exit)
    {
        if (json)
        {
            context.Out.WriteLine(JsonSerializer.Serialize(status, CliJsonContext.Default.DeploymentStatusDto));
            return;
        }

        if (exit == ExitCodes.Success)
        {
            var servers = status.Servers.Count;
            context.Error.WriteLine($"{status.Name} is up: {servers} server{(servers == 1 ? "" : "s")} in service.");
        }

        foreach (var (name, value) in status.Outputs)
        {
            context.Out.WriteLine($"{name} = {value}");
        }
    }
}
