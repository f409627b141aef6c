using Strata.ControlPlane.Hosting;

namespace Strata.Cli;

/// <summary>What every command needs: the home folder and where to write. Machine output goes to <see cref="Out"/>, messages to <see cref="Error"/>.</summary>
public sealed record CliContext(StrataPaths Paths, TextWriter Out, TextWriter Error)
{
    public static CliContext FromEnvironment() => new(StrataPaths.FromEnvironment(), Console.Out, Console.Error);

    /// <summary>Control-plane options for this home folder, starting load balancers through this program.</summary>
    public ControlPlaneOptions ControlPlaneOptions(string? listen = null) => new()
    {
        Listen = listen ?? Strata.ControlPlane.Hosting.ControlPlaneOptions.DefaultListen,
        Paths = Paths,
        ProxyCommand = [.. SelfCommand(), "proxy"],
    };

    /// <summary>The command line that runs this same program again (apphost, or <c>dotnet strata.dll</c>).</summary>
    public static IReadOnlyList<string> SelfCommand()
    {
        var process = Environment.ProcessPath ?? "strata";
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" && entry is not null ? [process, entry] : [process];
    }
}
