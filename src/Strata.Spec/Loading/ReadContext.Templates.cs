using Strata.Spec.Diagnostics;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Templates: syntax and every reference are checked where they are written.</summary>
internal sealed partial class ReadContext
{
    private static readonly string[] s_roots = ["params", "tiers", "self", "loadBalancers", "deployment"];
    private static readonly string[] s_serverAttributes = ["address", "name", "zone", "id"];
    private static readonly string[] s_selfAttributes = ["address", "name", "tier", "zone", "id"];
    private static readonly string[] s_loadBalancerAttributes = ["address", "port", "listen", "url"];

    /// <summary>
    /// Reads a string field that may hold run-time references. <paramref name="owner"/> is the tier (or image, as
    /// <c>images.x</c>) the template belongs to, used for the dependency graph; null for outputs and storage.
    /// </summary>
    public Template? Template(SpecNode? node, string path, TemplateUse use, string? owner)
    {
        if (node is null)
        {
            return null;
        }

        if (node is not SpecScalar scalar)
        {
            Error(node.Location, DiagnosticCodes.WrongShape, $"{path}: expected a single value, found {node.KindName}", "quote the value if it contains ': ' or starts with '[' or '{'");
            return null;
        }

        var raw = scalar.IsNull ? "" : scalar.Value;
        var template = new Template(raw, scalar.LocationOf(0));
        if (!template.HasExpressions)
        {
            return template;
        }

        if (ParseTemplate(scalar, path) is not { } parsed)
        {
            return null;
        }

        var ok = true;
        foreach (var reference in parsed.Paths())
        {
            ok &= CheckReference(reference, scalar.LocationOf(reference.Offset), path, use, owner);
        }

        if (ok && use is TemplateUse.Run or TemplateUse.Hook or TemplateUse.HealthCommand)
        {
            WarnOfSecretArguments(scalar, parsed, path);
        }

        return ok ? template : null;
    }

    private static string EnvironmentName(string parameter) => new([.. parameter.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_')]);

    /// <summary>Warns of each secret the shell would expand into a program's argument list (see <see cref="ProgramArguments"/>).</summary>
    private void WarnOfSecretArguments(SpecScalar scalar, ParsedTemplate parsed, string path)
    {
        var paths = ProgramArguments.Of(parsed).SelectMany(e => new ParsedTemplate([new TemplatePart(null, e)]).Paths());
        foreach (var reference in paths)
        {
            if (reference is { Root: "params", Segments: [_, { Name: { } name }] } && Parameters.TryGetValue(name, out var parameter) && parameter.Secret)
            {
                Diagnostics.Warning(scalar.LocationOf(reference.Offset), DiagnosticCodes.SecretInArguments,
                    $"{path}: secret parameter '{name}' becomes an argument of the program this command starts, where every user of the machine can read it (ps, /proc/*/cmdline)",
                    $"give it to the program in env (env: {{ {EnvironmentName(name)}: \"${{params.{name}}}\" }}) and let it read it from there");
            }
        }
    }

    private ParsedTemplate? ParseTemplate(SpecScalar scalar, string path)
    {
        if (TemplateParser.TryParse(scalar.Value, out var parsed, out var error))
        {
            return parsed;
        }

        Error(scalar.LocationOf(error!.Offset), DiagnosticCodes.InterpolationSyntax, $"{path}: {error.Message}", "write ${params.name}, ${tiers.db.servers[0].address} or ${join(list, ',')}; write $${ for a literal ${");
        return null;
    }

    private bool CheckReference(PathExpression reference, SourceLocation location, string path, TemplateUse use, string? owner) => reference.Root switch
    {
        "params" => CheckParameterUse(reference, location, path, use),
        "self" => CheckSelf(reference, location, path, use),
        "tiers" => CheckTierReference(reference, location, path, owner),
        "loadBalancers" => CheckNamed(reference, location, path, "load balancer", DeclaredLoadBalancers.Keys, s_loadBalancerAttributes, "loadBalancers.<name>.address"),
        "deployment" => Shape(reference, location, path, reference.Segments.Count == 2 && reference.Segments[1].Name == "name", "deployment.name"),
        _ => Fail(location, DiagnosticCodes.UnknownReference, $"{path}: unknown reference '{reference.Path}'", NameSuggestions.Nearest(reference.Root, s_roots) is { } near
            ? $"did you mean '{near}'?" : "references start with params, tiers, self, loadBalancers or deployment"),
    };

    /// <summary>Checks <c>params.name</c>: the shape and that the parameter exists. Null after reporting a problem.</summary>
    private ParameterSpec? CheckParameterReference(PathExpression reference, SourceLocation location, string path)
    {
        if (reference.Segments.Count != 2 || reference.Segments[1].Name is not { } name)
        {
            Shape(reference, location, path, false, "params.<name>");
            return null;
        }

        if (!Parameters.TryGetValue(name, out var parameter))
        {
            UnknownName(location, path, "parameter", name, Parameters.Keys);
            return null;
        }

        return parameter;
    }

    private bool CheckParameterUse(PathExpression reference, SourceLocation location, string path, TemplateUse use)
    {
        if (CheckParameterReference(reference, location, path) is not { } parameter)
        {
            return false;
        }

        // Commands (run, hooks, health command) get a secret through a generated environment variable, never on their
        // command line (see ShellCommandRenderer); printed places and typed fields cannot hide it.
        if (!parameter.Secret || use is TemplateUse.Env or TemplateUse.Hook or TemplateUse.Run or TemplateUse.HealthCommand or TemplateUse.StoreCredential)
        {
            return true;
        }

        var (where, hint) = use == TemplateUse.Output
            ? ("in an output, which is printed", "remove it from the output, or make the parameter non-secret")
            : ("in a storage setting, which status output shows", "only accessKey and secretKey may use secrets");
        return Fail(location, DiagnosticCodes.SecretExposed, $"{path}: secret parameter '{parameter.Name}' is used {where}", hint);
    }

    private bool CheckSelf(PathExpression reference, SourceLocation location, string path, TemplateUse use)
    {
        if (use is TemplateUse.Output or TemplateUse.StoreSetting or TemplateUse.StoreCredential)
        {
            return Fail(location, DiagnosticCodes.UnknownReference, $"{path}: '{reference.Path}' has no server to refer to here", "self is available in run, hooks, env and health commands");
        }

        return Shape(reference, location, path, reference.Segments.Count == 2 && s_selfAttributes.Contains(reference.Segments[1].Name),
            "self.address, self.name, self.tier, self.zone or self.id");
    }

    private bool CheckTierReference(PathExpression reference, SourceLocation location, string path, string? owner)
    {
        var s = reference.Segments;
        var isServer = s.Count == 5 && s[2].Name == "servers" && s[3].Name is null && s_serverAttributes.Contains(s[4].Name);
        var isPort = s.Count == 4 && s[2].Name == "ports" && s[3].Name is not null;
        if (!Shape(reference, location, path, s.Count > 1 && s[1].Name is not null && (isServer || isPort), "tiers.<tier>.servers[<index>|*].address (or name, zone, id), or tiers.<tier>.ports.<port>"))
        {
            return false;
        }

        var tier = s[1].Name!;
        if (!DeclaredTiers.ContainsKey(tier))
        {
            UnknownName(location, path, "tier", tier, DeclaredTiers.Keys);
            return false;
        }

        TierReferences.Add(new TierReference(tier, isServer ? s[3].Index : null, isPort ? s[3].Name : null, reference.Path, location));
        if (isServer)
        {
            AddTierEdge(owner, tier, location);
        }

        return true;
    }

    private void AddTierEdge(string? owner, string tier, SourceLocation location)
    {
        if (owner is null)
        {
            return;
        }

        if (owner.StartsWith("images.", StringComparison.Ordinal))
        {
            var image = owner["images.".Length..];
            if (!ImageTierReferences.TryGetValue(image, out var references))
            {
                ImageTierReferences[image] = references = [];
            }

            references.Add((tier, location));
        }
        else if (owner != tier)
        {
            Edges.Add(new DependencyEdge("tiers." + owner, "tiers." + tier, location));
        }
    }

    private bool CheckNamed(PathExpression reference, SourceLocation location, string path, string kind, IReadOnlyCollection<string> declared, string[] attributes, string shape)
    {
        var s = reference.Segments;
        if (!Shape(reference, location, path, s.Count == 3 && s[1].Name is not null && attributes.Contains(s[2].Name), shape + " (" + string.Join(", ", attributes) + ")"))
        {
            return false;
        }

        if (!declared.Contains(s[1].Name!))
        {
            UnknownName(location, path, kind, s[1].Name!, declared);
            return false;
        }

        return true;
    }

    private bool Shape(PathExpression reference, SourceLocation location, string path, bool valid, string expected) =>
        valid || Fail(location, DiagnosticCodes.UnknownReference, $"{path}: '{reference.Path}' is not a valid reference", $"write {expected}");

    private bool Fail(SourceLocation location, string code, string message, string? hint)
    {
        Error(location, code, message, hint);
        return false;
    }
}
