namespace Strata.Storage;

/// <summary>Where Strata keeps its local files unless told otherwise.</summary>
public static class StrataHome
{
    /// <summary>The environment variable that moves Strata's home folder.</summary>
    public const string EnvironmentVariable = "STRATA_HOME";

    /// <summary>
    /// The home folder: <c>$STRATA_HOME</c> when set, otherwise <c>~/.strata</c>.
    /// </summary>
    public static string Resolve()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".strata")
            : Path.GetFullPath(configured);
    }
}
