namespace Strata.Providers;

/// <summary>
/// The part of the control plane's environment that processes it starts (servers, hooks, health commands) may see.
/// Everything else starts clean, as on a new machine: the CLI's <c>STRATA_PARAM_*</c> values and the control plane's
/// own settings (<c>STRATA_HOME</c>, runtime tuning) never leak into a server.
/// </summary>
public static class ChildEnvironment
{
    /// <summary>The variables passed on: <c>PATH</c>, <c>HOME</c>, <c>USER</c>, <c>LOGNAME</c>, <c>LANG</c>, <c>LC_ALL</c>, <c>TZ</c>, <c>TMPDIR</c>.</summary>
    public static IReadOnlyList<string> DefaultInherited { get; } = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"];

    /// <summary>The values of <paramref name="names"/> in this process's environment, skipping those that are not set.</summary>
    public static Dictionary<string, string> Inherit(IEnumerable<string> names)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                environment[name] = value;
            }
        }

        return environment;
    }

    /// <summary>Replaces the environment a process will start with by exactly <paramref name="environment"/>.</summary>
    public static void Apply(IDictionary<string, string?> target, IEnumerable<KeyValuePair<string, string>> environment)
    {
        target.Clear();
        foreach (var (name, value) in environment)
        {
            target[name] = value;
        }
    }
}
