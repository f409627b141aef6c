namespace Strata.ControlPlane.Hosting;

/// <summary>
/// .NET runtime settings for the control-plane process, which runs for weeks and mostly waits: a small first GC
/// generation and no profile-guided recompilation keep its memory down (about 15 MiB less with 50 servers), and
/// thread-pool workers that spin only briefly for more work before they sleep keep its idle processor use down. Most
/// are environment variables the runtime reads when it starts, so the CLI sets them when it starts the server in the
/// background (a service manager can set the same); the server then removes them from its own environment, so that
/// the processes it starts (the built-in load balancer, which wants the defaults under load, and hooks) do not
/// inherit them. The spin limit is read later, when the thread pool starts its first worker, so the server process
/// sets it in its app configuration itself (<see cref="ApplyToServerProcess"/>).
/// </summary>
public static class ServerRuntimeSettings
{
    /// <summary>The variables and their values.</summary>
    public static IReadOnlyDictionary<string, string> Variables { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["DOTNET_GCgen0size"] = "0x400000",
        ["DOTNET_TieredPGO"] = "0",
        ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = SpinLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The thread pool's spin limit, as the app's configuration names it. The runtime reads the spin limit when the
    /// thread pool starts its first worker, from this switch or else from <c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit</c>
    /// in the process's environment as it is then; by then the server has removed that variable from its environment
    /// (<see cref="KeepFromChildren()"/>), so only the switch reaches it.
    /// </summary>
    public const string SpinLimitSwitch = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";

    /// <summary>
    /// How long a thread-pool worker out of work spins before it sleeps (the runtime's default is 70). Spinning that
    /// long was about a third of the idle control plane's processor time with 200 servers probed every 2 s (12.9–14.5 %
    /// of a core; 7.4–9.7 % at 10, 9.5 % at 0). Not spinning at all made a restore inside the server 40 % slower than
    /// the default, since its readers and writers hand chunks to each other through the pool; at 10 it was 17 % faster
    /// (bench/README.md).
    /// </summary>
    public const int SpinLimit = 10;

    /// <summary>
    /// Sets, in this process, the settings the runtime reads from the app's configuration, when the command line runs
    /// the control plane itself (<c>strata server</c> with no subcommand). To be called first thing in <c>Main</c>:
    /// the thread pool reads them when it starts its first worker. The load balancer and the CLI keep the defaults.
    /// </summary>
    /// <returns>Whether the settings were set.</returns>
    public static bool ApplyToServerProcess(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count == 0 || args[0] != "server" || (args.Count > 1 && !args[1].StartsWith('-')))
        {
            return false;
        }

        AppContext.SetData(SpinLimitSwitch, SpinLimit);
        return true;
    }

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
