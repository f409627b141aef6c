using Strata.Cli.Client;
using Strata.ControlPlane.Hosting;

namespace Strata.Cli;

/// <summary>What every command needs: the home folder and where to write. Machine output goes to <see cref="Out"/>, messages to <see cref="Error"/>.</summary>
public sealed record CliContext(StrataPaths Paths, TextWriter Out, TextWriter Error)
{
    public static CliContext FromEnvironment() => new(StrataPaths.FromEnvironment(), Console.Out, Console.Error) { Timeline = CliTimeline.FromEnvironment(Console.Error) };

    /// <summary>Where the command's time goes, marked on stderr when <see cref="CliTimeline.Variable"/> asks for it; off by default.</summary>
    public CliTimeline Timeline { get; init; } = CliTimeline.Off;

    /// <summary>
    /// Runs <paramref name="action"/> with a client of this home's control plane, started first when none runs but the
    /// home has state (see <see cref="ControlPlaneLauncher.RequireAsync"/>). When there is none to talk to, the user has
    /// been told why and the command exits with <see cref="ExitCodes.ControlPlaneUnavailable"/>.
    /// </summary>
    public async Task<int> WithControlPlaneAsync(Func<ControlPlaneClient, Task<int>> action, CancellationToken ct)
    {
        using var client = await ControlPlaneLauncher.RequireAsync(this, ct).ConfigureAwait(false);
        return client is null ? ExitCodes.ControlPlaneUnavailable : await action(client).ConfigureAwait(false);
    }

    /// <summary>A client of this home's control plane when one runs, else null; never starts one.</summary>
    public Task<ControlPlaneClient?> FindControlPlaneAsync(CancellationToken ct) => ControlPlaneClient.ConnectAsync(Paths, ct);

    /// <summary>A client of this home's control plane, started now when none runs (<c>up</c>, <c>server start</c>).</summary>
    public Task<ControlPlaneClient> StartControlPlaneAsync(string? listen, CancellationToken ct) => ControlPlaneLauncher.EnsureRunningAsync(this, listen, ct);

    /// <summary>Control-plane options for this home folder, starting load balancers through this program.</summary>
    /// <exception cref="CliUsageException">A setting of the environment is invalid (e.g. <c>STRATA_LOCAL_ADDRESSES</c>).</exception>
    public ControlPlaneOptions ControlPlaneOptions(string? listen = null)
    {
        try
        {
            return new()
            {
                Listen = listen ?? Strata.ControlPlane.Hosting.ControlPlaneOptions.DefaultListen,
                Paths = Paths,
                ProxyCommand = [.. SelfCommand(), "proxy"],
            };
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException($"{ex.Message}; the control plane was not started");
        }
    }

    /// <summary>The command line that runs this same program again (apphost, or <c>dotnet strata.dll</c>).</summary>
    public static IReadOnlyList<string> SelfCommand()
    {
        var process = Environment.ProcessPath ?? "strata";
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" && entry is not null ? [process, entry] : [process];
    }
}

/// <summary>What the user gave cannot work, said before anything is done; the command exits with <see cref="ExitCodes.Usage"/>.</summary>
public sealed class CliUsageException(string message) : Exception(message);
