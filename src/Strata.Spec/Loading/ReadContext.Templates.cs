using Strata.Spec.Diagnostics;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Templates: syntax and every reference are checked where they are written.</summary>
internal sealed partial class ReadContext
{
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
            if (Reference.Parse(reference) is ParameterReference { Name: var name } && Parameters.TryGetValue(name, out var parameter) && parameter.Secret)
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

    private bool CheckReference(PathExpression path, SourceLocation location, string field, TemplateUse use, string? owner)
    {
        if (!Reference.Roots.Contains(path.Root))
        {
            return Fail(location, DiagnosticCodes.UnknownReference, $"{field}: unknown reference '{path.Path}'", NameSuggestions.Nearest(path.Root, Reference.Roots) is { } near
                ? $"did you mean '{near}'?" : "references start with " + Reference.RootList);
        }

        if (path.Root == "self" && use is TemplateUse.Output or TemplateUse.StoreSetting or TemplateUse.StoreCredential)
        {
            return Fail(location, DiagnosticCodes.UnknownReference, $"{field}: '{path.Path}' has no server to refer to here", "self is available in run, hooks, env and health commands");
        }

        return Reference.Parse(path) switch
        {
            null => Shape(path, location, field),
            ParameterReference parameter => CheckParameterUse(parameter, location, field, use),
            TierServerReference server => CheckTier(server.Tier, location, field) && AddTierReference(new TierReference(server.Tier, server.Index, null, path.Path, location), owner),
            TierPortReference port => CheckTier(port.Tier, location, field) && AddTierReference(new TierReference(port.Tier, null, port.Port, path.Path, location), owner),
            LoadBalancerReference balancer => DeclaredLoadBalancers.ContainsKey(balancer.LoadBalancer)
                || Unknown(location, field, "load balancer", balancer.LoadBalancer, DeclaredLoadBalancers.Keys),
            _ => true,
        };
    }

    /// <summary>Checks <c>params.name</c>: the shape and that the parameter exists. Null after reporting a problem.</summary>
    private ParameterSpec? CheckParameterReference(PathExpression path, SourceLocation location, string field)
    {
        if (Reference.Parse(path) is not ParameterReference reference)
        {
            Shape(path, location, field);
            return null;
        }

        if (!Parameters.TryGetValue(reference.Name, out var parameter))
        {
            UnknownName(location, field, "parameter", reference.Name, Parameters.Keys);
            return null;
        }

        return parameter;
    }

    private bool CheckParameterUse(ParameterReference reference, SourceLocation location, string field, TemplateUse use)
    {
        if (CheckParameterReference(reference.Path, location, field) is not { } parameter)
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
        return Fail(location, DiagnosticCodes.SecretExposed, $"{field}: secret parameter '{parameter.Name}' is used {where}", hint);
    }

    private bool CheckTier(string tier, SourceLocation location, string field) =>
        DeclaredTiers.ContainsKey(tier) || Unknown(location, field, "tier", tier, DeclaredTiers.Keys);

    /// <summary>Records a reference to another tier; one to its servers is also an edge of the dependency graph.</summary>
    private bool AddTierReference(TierReference reference, string? owner)
    {
        TierReferences.Add(reference);
        if (reference.Port is null)
        {
            AddTierEdge(owner, reference.Tier, reference.Location);
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

    private bool Unknown(SourceLocation location, string field, string kind, string name, IReadOnlyCollection<string> declared)
    {
        UnknownName(location, field, kind, name, declared);
        return false;
    }

    private bool Shape(PathExpression path, SourceLocation location, string field) =>
        Fail(location, DiagnosticCodes.UnknownReference, $"{field}: '{path.Path}' is not a valid reference", $"write {Reference.Expected(path.Root)}");

    private bool Fail(SourceLocation location, string code, string message, string? hint)
    {
        Error(location, code, message, hint);
        return false;
    }
}
