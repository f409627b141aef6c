using Strata.Spec.Loading;
using Strata.Spec.Parameters;

namespace Strata.Spec.Tests;

/// <summary>Finds files of the repository (the examples) from the test's output folder.</summary>
internal static class SpecFiles
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Example(string name) => Path.Combine(RepositoryRoot, "examples", name, SpecLoader.DefaultFileName);

    /// <summary>Parses spec text with every parameter allowed to be missing, as <c>strata validate</c> does.</summary>
    public static SpecLoadResult Parse(string yaml, ParameterValues? values = null) =>
        SpecLoader.Parse(yaml, "strata.yaml", values ?? ParameterValues.Empty.WithAllowMissing());

    public static string Render(SpecLoadResult result) => string.Join("\n", result.Diagnostics);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Strata.sln")))
            {
                return dir.FullName;
            }
        }

        // Builds with STRATA_ARTIFACTS put the output outside the repository; the source path is baked in instead.
        return Path.GetFullPath(Path.Combine(ThisFolder(), "..", ".."));
    }

    private static string ThisFolder([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
