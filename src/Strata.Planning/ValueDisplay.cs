using System.Text.RegularExpressions;
using Strata.Spec.Interpolation;
using Strata.Spec.Loading;
using Strata.Spec.Model;

namespace Strata.Planning;

/// <summary>The default way a plan shows spec values before the evaluator can resolve them.</summary>
internal static partial class ValueDisplay
{
    /// <summary>
    /// Shows values through the spec's evaluator, which knows parameter values and redacts secrets; a template it
    /// cannot evaluate (only in a spec that did not load cleanly) falls back to a conservative reading of the text.
    /// A load balancer placed on a host already has that host's address.
    /// </summary>
    public static Func<Template, string> For(DeploymentSpec spec, State.DeploymentState? current = null)
    {
        var secrets = spec.Parameters.Where(p => p.Secret).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var resolver = current is null
            ? ReferenceResolver.ForPlan(spec)
            : new ReferenceResolver(spec, ReferenceSource.PlanWith(name => current.FindLoadBalancer(name)?.Address));
        return template =>
        {
            if (!template.HasExpressions)
            {
                return template.Raw;
            }

            try
            {
                return TemplateEvaluator.Evaluate(template, resolver).Display;
            }
            catch (TemplateException)
            {
                return Show(template, secrets);
            }
        };
    }

    private static string Show(Template template, HashSet<string> secrets)
    {
        if (!template.HasExpressions)
        {
            return template.Raw;
        }

        foreach (Match match in Expression().Matches(template.Raw))
        {
            foreach (Match reference in ParameterReference().Matches(match.Groups[1].Value))
            {
                if (secrets.Contains(reference.Groups[1].Value))
                {
                    return AttributeChange.Secret;
                }
            }
        }

        return AttributeChange.KnownAfterApply;
    }

    [GeneratedRegex(@"\$\{([^}]*)\}")]
    private static partial Regex Expression();

    [GeneratedRegex(@"\bparams\.([A-Za-z0-9_-]+)")]
    private static partial Regex ParameterReference();
}
