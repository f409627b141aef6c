using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Strata.Api.Contracts;
using Strata.Cli.Client;
using Strata.ControlPlane.Api.V1;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Hosting;
using Strata.Planning.SavedPlans;
using Strata.Planning.Serialization;

namespace Strata.Cli.Commands;

/// <summary><c>strata plan FILE</c>: shows what <c>up</c> would change, optionally saving the plan for <c>up --plan</c>.</summary>
public sealed class PlanCommand(CliContext context)
{
    private readonly SpecArguments _spec = new();
    private readonly Option<bool> _json = new("--json") { Description = "Print the plan as JSON on stdout." };
    private readonly Option<FileInfo?> _out = new("--out") { Description = "Save the plan to this file; `strata up --plan FILE` executes exactly it." };

    public Command Create()
    {
        var command = new Command("plan", "Show what `strata up` would create, update, replace and delete.");
        _spec.AddTo(command);
        command.Options.Add(_json);
        command.Options.Add(_out);
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken ct)
    {
        var (spec, values, code) = SpecOutput.Load(context, _spec, result);
        if (spec is null)
        {
            return code;
        }

        var request = new ApplyRequest { SpecPath = _spec.SpecPath(result), Parameters = SpecArguments.Given(spec, values) };
        ApplyResponse response;
        try
        {
            response = await PlanAsync(request, ct).ConfigureAwait(false);
        }
        catch (InvalidSpecException ex)
        {
            ex.Errors.ToList().ForEach(context.Error.WriteLine);
            return ExitCodes.InvalidSpec;
        }

        if (result.GetValue(_out) is { } file)
        {
            SavedPlan.Write(file.FullName, PlanJson.DeserializePlan(response.PlanJson));
            context.Error.WriteLine($"Saved the plan to {file.FullName}; apply exactly it with `strata up {Path.GetRelativePath(Environment.CurrentDirectory, request.SpecPath)} --plan {file.Name}`.");
        }

        context.Out.Write(result.GetValue(_json) ? response.PlanJson + Environment.NewLine : response.PlanText);
        foreach (var warning in response.Warnings)
        {
            context.Error.WriteLine($"warning: {warning}");
        }

        return ExitCodes.Success;
    }

    /// <summary>Plans through the running control plane, or in this process against the stored state when none runs.</summary>
    private async Task<ApplyResponse> PlanAsync(ApplyRequest request, CancellationToken ct)
    {
        if (await context.FindControlPlaneAsync(ct).ConfigureAwait(false) is { } client)
        {
            using (client)
            {
                try
                {
                    return await client.PlanAsync(request, ct).ConfigureAwait(false);
                }
                catch (ControlPlaneException ex) when (ex.Errors.Count > 0)
                {
                    throw new InvalidSpecException(ex.Errors);
                }
            }
        }

        var services = new ServiceCollection().AddLogging().AddStrataControlPlane(context.ControlPlaneOptions());
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<DeploymentRegistry>().LoadAsync(ct).ConfigureAwait(false);
        return await provider.GetRequiredService<IDeploymentService>().PlanAsync(request, ct).ConfigureAwait(false);
    }
}
