using System.Text.Json;
using Strata.Common.Files;
using Strata.Planning.Serialization;

namespace Strata.Planning.SavedPlans;

/// <summary>
/// A plan saved with <c>strata plan --out plan.json</c> for a later apply. The file holds a format version and the
/// plan; it never holds secret values (attributes show <c>(secret)</c>, parameters only as a keyed digest).
/// </summary>
public static class SavedPlan
{
    /// <summary>The format written; a file of any other version is refused.</summary>
    public const int FormatVersion = 1;

    /// <summary>Writes the plan, replacing the file atomically.</summary>
    /// <exception cref="InvalidOperationException">The plan has problems and could never be applied.</exception>
    public static void Write(string path, Plan plan)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.HasProblems)
        {
            throw new InvalidOperationException(
                $"A plan with problems cannot be saved: {string.Join("; ", plan.Problems)}");
        }

        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        AtomicFile.Write(full, stream => JsonSerializer.Serialize(stream, new SavedPlanDocument(FormatVersion, plan), PlanJsonContext.Default.SavedPlanDocument));
    }

    /// <summary>Reads a saved plan.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved plan, or of another format version.</exception>
    public static Plan Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"There is no saved plan at '{path}'.", path);
        }

        SavedPlanDocument? document;
        try
        {
            using var stream = File.OpenRead(path);
            document = JsonSerializer.Deserialize(stream, PlanJsonContext.Default.SavedPlanDocument);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not a saved plan: {ex.Message}", ex);
        }

        if (document is null || document.FormatVersion != FormatVersion)
        {
            throw new InvalidDataException(
                $"'{path}' is a saved plan of format version {document?.FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}; "
                + $"this Strata reads version {FormatVersion}. Run `strata plan` again.");
        }

        return document.Plan;
    }
}

/// <summary>The saved-plan file: its format version and the plan.</summary>
public sealed record SavedPlanDocument(int FormatVersion, Plan Plan);
