using System.CommandLine;
using System.Text.Json;
using Strata.Api.Contracts.Events;
using Strata.Spec.Diagnostics;
using Strata.Spec.Loading;
using Strata.Spec.Model;
using Strata.Spec.Parameters;

namespace Strata.Cli.Commands;

/// <summary><c>strata validate FILE</c>: reports every problem in a spec, each at its file:line:col.</summary>
public sealed class ValidateCommand(CliContext context)
{
    private readonly SpecArguments _spec = new();
    private readonly Option<bool> _json = new("--json") { Description = "Print the diagnostics as JSON on stdout." };

    public Command Create()
    {
        var command = new Command("validate", "Check a spec and report every problem with its location. Exit 0 valid, 1 invalid, 2 usage error.");
        _spec.AddTo(command);
        command.Options.Add(_json);
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult result)
    {
        var values = _spec.Values(result, out var usage);
        if (usage.Count > 0)
        {
            return SpecOutput.Usage(context, usage);
        }

        var path = _spec.SpecPath(result);
        var loaded = SpecLoader.Load(path, values.WithAllowMissing());
        if (result.GetValue(_json))
        {
            context.Out.WriteLine(JsonSerializer.Serialize(new ValidationReport(loaded.Success, [.. loaded.Diagnostics.Select(DiagnosticDto.From)]), CliJsonContext.Default.ValidationReport));
        }
        else
        {
            SpecOutput.WriteDiagnostics(context, loaded.Diagnostics);
            if (loaded.Success)
            {
                context.Error.WriteLine($"{Path.GetRelativePath(Environment.CurrentDirectory, path)}: valid ({loaded.Spec!.Tiers.Count} tiers, {loaded.Spec.LoadBalancers.Count} load balancers)");
            }
        }

        return loaded.Success ? ExitCodes.Success : ExitCodes.InvalidSpec;
    }
}

/// <summary>Writing diagnostics the same way from every command.</summary>
public static class SpecOutput
{
    public static void WriteDiagnostics(CliContext context, IEnumerable<Diagnostic> diagnostics)
    {
        var list = diagnostics.ToList();
        foreach (var diagnostic in list)
        {
            context.Error.WriteLine(diagnostic.ToString());
        }

        var errors = list.Count(d => d.Severity == DiagnosticSeverity.Error);
        if (errors > 0)
        {
            context.Error.WriteLine($"{errors} error{(errors == 1 ? "" : "s")}; nothing was changed.");
        }
    }

    public static int Usage(CliContext context, IEnumerable<Diagnostic> errors)
    {
        foreach (var error in errors)
        {
            context.Error.WriteLine(error.ToString());
        }

        return ExitCodes.Usage;
    }

    /// <summary>Loads the spec for plan/up; on errors prints them and returns the exit code.</summary>
    public static (DeploymentSpec? Spec, ParameterValues Values, int ExitCode) Load(CliContext context, SpecArguments arguments, ParseResult result)
    {
        var values = arguments.Values(result, out var usage);
        if (usage.Count > 0)
        {
            return (null, values, Usage(context, usage));
        }

        var loaded = SpecLoader.Load(arguments.SpecPath(result), values);
        if (!loaded.Success)
        {
            WriteDiagnostics(context, loaded.Diagnostics);
            return (null, values, ExitCodes.InvalidSpec);
        }

        // Warnings (a secret in a program's arguments) do not stop plan or up, but are said before anything runs.
        WriteDiagnostics(context, loaded.Diagnostics);
        return (loaded.Spec, values, ExitCodes.Success);
    }
}

public sealed record ValidationReport(bool Valid, IReadOnlyList<DiagnosticDto> Diagnostics);

public sealed record DiagnosticDto(string File, int Line, int Column, string Severity, string Code, string Message, string? Hint)
{
    public static DiagnosticDto From(Diagnostic d) =>
        new(d.Location.File, d.Location.Line, d.Location.Column, d.Severity.ToString().ToLowerInvariant(), d.Code, d.Message, d.Hint);
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ValidationReport))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Strata.Api.Contracts.DeploymentStatusDto))]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<Strata.Api.Contracts.DeploymentSummaryDto>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Strata.Api.Contracts.ServerInfo))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Strata.Api.Contracts.Events.DeploymentEvent))]
public sealed partial class CliJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
