using System.Collections;
using System.Collections.Immutable;
using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Parameters;

public enum ParameterSource { Default, Environment, File, CommandLine }

/// <summary>A supplied parameter value and where it came from (its line in a params file, or the source's name).</summary>
public sealed record ParameterValue(string Name, string Value, ParameterSource Source, SourceLocation Location);

/// <summary>
/// Parameter values supplied from outside the spec. Precedence, highest first: <c>--param name=value</c>, a params
/// file, the environment variable <c>STRATA_PARAM_&lt;NAME&gt;</c> (upper-cased, other characters than letters and
/// digits become <c>_</c>), then the parameter's default. Immutable: every <c>With…</c> returns a new instance.
/// </summary>
public sealed class ParameterValues
{
    /// <summary>The prefix of environment variables that supply parameters.</summary>
    public const string EnvironmentPrefix = "STRATA_PARAM_";

    private static readonly SourceLocation s_commandLine = new("--param", 0, 0);

    private readonly ImmutableDictionary<string, ParameterValue> _arguments;
    private readonly ImmutableDictionary<string, ParameterValue> _file;
    private readonly ImmutableDictionary<string, string> _environment;

    private ParameterValues(
        ImmutableDictionary<string, ParameterValue> arguments,
        ImmutableDictionary<string, ParameterValue> file,
        ImmutableDictionary<string, string> environment,
        bool allowMissing)
    {
        _arguments = arguments;
        _file = file;
        _environment = environment;
        AllowMissing = allowMissing;
    }

    /// <summary>No values at all: every parameter takes its default.</summary>
    public static ParameterValues Empty { get; } = new(
        ImmutableDictionary<string, ParameterValue>.Empty, ImmutableDictionary<string, ParameterValue>.Empty, ImmutableDictionary<string, string>.Empty, false);

    /// <summary>
    /// When true (for <c>strata validate</c>), a required parameter without a value is not an error and checks that
    /// depend on its value are skipped. When false (plan, up), it is an error naming the parameter. The default is false.
    /// </summary>
    public bool AllowMissing { get; }

    /// <summary>Values from this process's <c>STRATA_PARAM_*</c> environment variables.</summary>
    public static ParameterValues FromEnvironment()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value)
            {
                variables[key] = value;
            }
        }

        return FromEnvironment(variables);
    }

    /// <summary>Values from the given environment variables; only those starting with <c>STRATA_PARAM_</c> are used.</summary>
    public static ParameterValues FromEnvironment(IReadOnlyDictionary<string, string> variables) =>
        Empty.WithEnvironment(variables);

    public ParameterValues WithEnvironment(IReadOnlyDictionary<string, string> variables)
    {
        var relevant = variables.Where(v => v.Key.StartsWith(EnvironmentPrefix, StringComparison.Ordinal));
        return new(_arguments, _file, _environment.SetItems(relevant), AllowMissing);
    }

    /// <summary>A value given on the command line, which wins over every other source.</summary>
    public ParameterValues With(string name, string value) =>
        new(_arguments.SetItem(name, new ParameterValue(name, value, ParameterSource.CommandLine, s_commandLine)), _file, _environment, AllowMissing);

    public ParameterValues WithAllowMissing(bool allowMissing = true) => new(_arguments, _file, _environment, allowMissing);

    /// <summary>
    /// Adds <c>name=value</c> arguments as given to <c>--param</c>. Arguments that are not written that way are left
    /// out and reported in <paramref name="diagnostics"/> (a usage error).
    /// </summary>
    public ParameterValues WithArguments(IEnumerable<string> arguments, out IReadOnlyList<Diagnostic> diagnostics)
    {
        var errors = new List<Diagnostic>();
        var result = this;
        foreach (var argument in arguments)
        {
            if (TryParseArgument(argument, out var name, out var value, out var error))
            {
                result = result.With(name, value);
            }
            else
            {
                errors.Add(new Diagnostic(s_commandLine, DiagnosticSeverity.Error, DiagnosticCodes.Usage, error!, "write --param name=value, e.g. --param webServers=3"));
            }
        }

        diagnostics = errors;
        return result;
    }

    /// <summary>Splits <c>name=value</c> at the first <c>=</c>; the value may be empty, the name may not.</summary>
    public static bool TryParseArgument(string argument, out string name, out string value, out string? error)
    {
        var equals = argument.IndexOf('=', StringComparison.Ordinal);
        name = equals < 0 ? argument.Trim() : argument[..equals].Trim();
        value = equals < 0 ? "" : argument[(equals + 1)..];
        error = equals < 0 ? $"parameter argument '{argument}' has no '='"
            : name.Length == 0 ? $"parameter argument '{argument}' has no name before '='"
            : !IsParameterName(name) ? $"'{name}' is not a valid parameter name"
            : null;
        return error is null;
    }

    /// <summary>Reads a params file: a YAML or JSON mapping of parameter names to single values.</summary>
    public ParameterValues WithFile(string path, out IReadOnlyList<Diagnostic> diagnostics)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics = [new Diagnostic(new SourceLocation(path, 0, 0), DiagnosticSeverity.Error, DiagnosticCodes.Usage, $"cannot read params file: {ex.Message}", null)];
            return this;
        }

        return WithFileText(text, path, out diagnostics);
    }

    public ParameterValues WithFileText(string text, string fileName, out IReadOnlyList<Diagnostic> diagnostics)
    {
        var bag = new DiagnosticBag();
        var values = _file;
        var root = YamlTreeReader.Read(text, fileName, bag);
        if (root is SpecMapping mapping)
        {
            foreach (var (key, node) in mapping.Entries)
            {
                if (node is SpecScalar { IsNull: false } scalar)
                {
                    values = values.SetItem(key.Value, new ParameterValue(key.Value, scalar.Value, ParameterSource.File, scalar.Location));
                }
                else
                {
                    bag.Error(node.Location, DiagnosticCodes.InvalidParameter, $"parameter '{key.Value}' must have a single value, found {node.KindName}", "write name: value");
                }
            }
        }
        else if (root is not null)
        {
            bag.Error(root.Location, DiagnosticCodes.InvalidParameter, $"a params file is a mapping of names to values, found {root.KindName}", "write one 'name: value' per line");
        }

        diagnostics = bag.Sorted();
        return new(_arguments, values, _environment, AllowMissing);
    }

    /// <summary>The environment variable that supplies <paramref name="parameterName"/>, e.g. <c>STRATA_PARAM_DB_PASSWORD</c> for <c>db-password</c>.</summary>
    public static string EnvironmentVariableName(string parameterName) =>
        EnvironmentPrefix + string.Concat(parameterName.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_'));

    /// <summary>The supplied value of a parameter by precedence, or null when it must take its default.</summary>
    public ParameterValue? Find(string name)
    {
        if (_arguments.TryGetValue(name, out var argument))
        {
            return argument;
        }

        if (_file.TryGetValue(name, out var fromFile))
        {
            return fromFile;
        }

        var variable = EnvironmentVariableName(name);
        return _environment.TryGetValue(variable, out var fromEnvironment)
            ? new ParameterValue(name, fromEnvironment, ParameterSource.Environment, new SourceLocation(variable, 0, 0))
            : null;
    }

    /// <summary>Values given explicitly (command line and params file), to report names the spec does not declare.</summary>
    internal IEnumerable<ParameterValue> Explicit => _arguments.Values.Concat(_file.Values.Where(f => !_arguments.ContainsKey(f.Name)));

    internal static bool IsParameterName(string name) =>
        char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}
