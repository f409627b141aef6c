using System.Globalization;

namespace Strata.Planning.Rendering;

/// <summary>
/// Writes a plan for people, Terraform-like: one line per resource marked <c>+</c> create, <c>~</c> update in
/// place, <c>-/+</c> replace or <c>-</c> delete, its changed attributes below it, its servers or volumes below
/// those, and a closing count line.
/// </summary>
public static class PlanRenderer
{
    /// <summary>Lines longer than this have their reason moved to the next line.</summary>
    public const int MaxWidth = 100;

    /// <summary>Children (servers, volumes) listed per resource before the rest are counted in one line.</summary>
    public const int MaxChildrenShown = 10;

    private const string Reset = "\u001b[0m";

    public static void RenderText(Plan plan, TextWriter writer, bool color = false)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(writer);
        var shown = plan.Changes.Where(c => c.Action != ChangeAction.NoOp).ToList();
        if (shown.Count > 0)
        {
            writer.WriteLine($"Deployment \"{plan.DeploymentName}\" (serial {plan.BaseSerial}) will change:");
            writer.WriteLine();
            foreach (var change in shown)
            {
                WriteChange(writer, change, color);
            }
        }

        WriteOutputs(writer, plan);
        WriteProblems(writer, plan);
        writer.WriteLine(ClosingLine(plan));
    }

    /// <summary>The summary line, e.g. <c>Plan: 4 to create, 1 to update, 1 to replace, 0 to delete.</c></summary>
    public static string ClosingLine(Plan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.HasChanges)
        {
            return "No changes. The deployment matches the spec.";
        }

        var s = plan.Summary;
        return string.Create(CultureInfo.InvariantCulture,
            $"Plan: {s.Create} to create, {s.Update} to update, {s.Replace} to replace, {s.Delete} to delete.");
    }

    public static string RenderText(Plan plan, bool color = false)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        RenderText(plan, writer, color);
        return writer.ToString();
    }

    private static void WriteChange(TextWriter writer, ResourceChange change, bool color)
    {
        var head = $"{Symbol(change.Action, color)} {change.Address}";
        var reason = change.Reason is null ? ""
            : change.Action == ChangeAction.Create ? $" ({change.Reason})" : $": {change.Reason}";
        if (head.Length + reason.Length - (color ? ColorWidth : 0) <= MaxWidth)
        {
            writer.WriteLine(head + reason);
        }
        else
        {
            writer.WriteLine(head);
            writer.WriteLine($"      {change.Reason}");
        }

        WriteAttributes(writer, change);
        WriteChildren(writer, change, color);
        writer.WriteLine();
    }

    private static void WriteAttributes(TextWriter writer, ResourceChange change)
    {
        var attributes = change.Action switch
        {
            ChangeAction.Create => change.Attributes.Where(a => a.After is not null).ToList(),
            ChangeAction.Delete => change.Attributes.Where(a => a.Before is not null).ToList(),
            _ => change.Attributes.Where(a => a.IsChanged).ToList(),
        };
        var width = attributes.Count == 0 ? 0 : attributes.Max(a => a.Name.Length);
        foreach (var attribute in attributes)
        {
            var value = change.Action switch
            {
                ChangeAction.Create => attribute.After,
                ChangeAction.Delete => attribute.Before,
                _ => $"{attribute.Before ?? "(none)"} → {attribute.After ?? "(none)"}",
            };
            writer.WriteLine($"      {attribute.Name.PadRight(width)} = {value}");
        }
    }

    private static void WriteChildren(TextWriter writer, ResourceChange change, bool color)
    {
        foreach (var child in change.Children.Take(MaxChildrenShown))
        {
            writer.WriteLine($"      {Symbol(child.Action, color)} {ChildLine(child)}");
        }

        if (change.Children.Count > MaxChildrenShown)
        {
            var rest = change.Children.Skip(MaxChildrenShown).GroupBy(c => c.Action).OrderBy(g => g.Key)
                .Select(g => $"{g.Count()} {Words.Camel(g.Key.ToString()).ToLowerInvariant()}");
            writer.WriteLine($"        … and {change.Children.Count - MaxChildrenShown} more ({string.Join(", ", rest)})");
        }
    }

    private static string ChildLine(ResourceChange child)
    {
        var name = child.PhysicalName ?? child.Address;
        return child.Action switch
        {
            ChangeAction.Create => child.Attributes.Where(a => a.After is not null && a.After != AttributeChange.KnownAfterApply)
                .Select(a => $"{a.Name} {a.After}").ToList() is { Count: > 0 } parts
                    ? $"{name} ({string.Join(", ", parts)})"
                    : name,
            ChangeAction.Replace when child.Attributes.FirstOrDefault(a => a.Name == "name") is { } renamed =>
                $"{renamed.Before} → {renamed.After}",
            _ => child.Reason is null ? name : $"{name}: {child.Reason}",
        };
    }

    private const int ColorWidth = 9;

    private static string Symbol(ChangeAction action, bool color)
    {
        var (text, code) = action switch
        {
            ChangeAction.Create => ("  +", "\u001b[32m"),
            ChangeAction.Update => ("  ~", "\u001b[33m"),
            ChangeAction.Replace => ("-/+", "\u001b[35m"),
            ChangeAction.Delete => ("  -", "\u001b[31m"),
            _ => ("   ", ""),
        };
        return color && code.Length > 0 ? code + text + Reset : text;
    }

    private static void WriteOutputs(TextWriter writer, Plan plan)
    {
        if (plan.Outputs.Count == 0 || !plan.HasChanges)
        {
            return;
        }

        writer.WriteLine("Outputs:");
        var width = plan.Outputs.Max(o => o.Name.Length);
        foreach (var output in plan.Outputs)
        {
            writer.WriteLine($"  {output.Name.PadRight(width)} = {output.Value}");
        }

        writer.WriteLine();
    }

    private static void WriteProblems(TextWriter writer, Plan plan)
    {
        if (!plan.HasProblems)
        {
            return;
        }

        writer.WriteLine("Problems (the plan cannot be applied until they are fixed):");
        foreach (var problem in plan.Problems)
        {
            writer.WriteLine($"  ! {problem}");
        }

        writer.WriteLine();
    }
}
