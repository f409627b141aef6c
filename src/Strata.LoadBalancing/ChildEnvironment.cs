namespace Strata.LoadBalancing;

/// <summary>
/// The environment a load-balancer process (the built-in proxy, HAProxy) starts with: a few basics of the control
/// plane's environment and nothing else, so that the CLI's <c>STRATA_PARAM_*</c> values and the control plane's own
/// settings never reach it. The drivers then add their own variables.
/// </summary>
internal static class ChildEnvironment
{
    // DOTNET_ROOT lets a proxy started as "dotnet …" find its runtime where the SDK is not on the default path.
    private static readonly string[] s_inherited = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR", "DOTNET_ROOT"];

    /// <summary>The inherited basics that are set in this process's environment.</summary>
    public static Dictionary<string, string> Basics()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in s_inherited)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                environment[name] = value;
            }
        }

        return environment;
    }
}
