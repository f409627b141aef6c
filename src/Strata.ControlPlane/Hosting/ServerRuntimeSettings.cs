namespace Strata.ControlPlane.Hosting;

/// <summary>
/// .NET runtime settings for the control-plane process, which runs for weeks and mostly waits: a small first GC
/// generation and no profile-guided recompilation keep its memory down (about 15 MiB less with 50 servers), and
/// thread-pool workers that sleep at once instead of spinning for more work keep its idle processor use down. They
/// are environment variables the runtime reads when it starts, so the CLI sets them when it starts the server in the
/// background (a service manager can set the same); the server then removes them from its own environment, so that
/// the processes it starts (the built-in load balancer, which wants the defaults under load, and hooks) do not
/// inherit them.
/// </summary>
public static class ServerRuntimeSettings
{
    /// <summary>The variables and their values.</summary>
    public static IReadOnlyDictionary<string, string> Variables { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["DOTNET_GCgen0size"] = "0x400000",
        ["DOTNET_TieredPGO"] = "0",
        ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
    };

    /// <summary>Adds the settings to the environment of a server process about to be started.</summary>
    public static void ApplyTo(IDictionary<string, string?> environment)
    {
        foreach (var (name, value) in Variables)
        {
            environment[name] = value;
        }
    }

    /// <summary>Removes the settings from this process's environment once the runtime has read them.</summary>
    public static void KeepFromChildren() =>
        KeepFromChildren(Environment.GetEnvironmentVariable, name => Environment.SetEnvironmentVariable(name, null));

    /// <summary>Removes each setting that still holds this class's value; another value was the user's and stays.</summary>
    internal static void KeepFromChildren(Func<string, string?> read, Action<string> remove)
    {
        foreach (var (name, value) in Variables)
        {
            if (read(name) == value)
            {
                remove(name);
            }
        }
    }
}
