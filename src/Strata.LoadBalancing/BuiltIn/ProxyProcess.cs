using System.Diagnostics;
using System.Globalization;
using Strata.Common.Processes;
using Strata.LoadBalancing.Proxy;

namespace Strata.LoadBalancing.BuiltIn;

/// <summary>Starts proxy processes detached from the control plane, recognises them later, and stops them.</summary>
internal static class ProxyProcess
{
    // The .NET runtime reads these once, when the process opens its first socket, so only the launcher can set them.
    private const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    private const string EventThreadsVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    // The program a proxy runs from compiles for short lives: the strata program without profile-guided optimisation
    // (Strata.Cli.csproj), a host's agent without tiering at all (Strata.Agent.csproj). A proxy forwards for as long
    // as its deployment lives, the case both are made for; the environment wins over the runtime configuration.
    private const string TieredVariable = "DOTNET_TieredCompilation";
    private const string ProfileGuidedVariable = "DOTNET_TieredPGO";

    public static Process Start(BuiltInLoadBalancerOptions options, string id, ProxyFiles files)
    {
        // A fresh environment, so the options alone decide the runtime's socket settings, never the control plane's.
        var environment = ChildEnvironment.Basics();
        environment[ProxyFiles.MarkerVariable] = id;
        environment[TieredVariable] = "1";
        environment[ProfileGuidedVariable] = "1";
        if (options.InlineSocketCompletions)
        {
            environment[InlineCompletionsVariable] = "1";
        }

        if (options.SocketEventThreads > 0)
        {
            environment[EventThreadsVariable] = options.SocketEventThreads.ToString(CultureInfo.InvariantCulture);
        }

        return ProcessSupervisor.StartDetached("strata-proxy", [.. options.ProxyCommand, "--config", files.Config], files.Folder, files.Log, environment);
    }

    /// <summary>The state of the running proxy of <paramref name="id"/>, or null when none runs.</summary>
    public static ProxyStateDocument? FindRunning(string id, ProxyFiles files)
    {
        var state = ProxyFiles.TryRead(files.State, LoadBalancingJsonContext.Default.ProxyStateDocument);
        return state is { State: LoadBalancerInstanceState.Running } && ProxyFiles.IdentityOf(state.ProcessId, state.ProcessStartTime, id).IsRunning()
            ? state
            : null;
    }

    /// <summary>Asks the proxy to drain and stop; kills it when it is still there after <paramref name="timeout"/>.</summary>
    /// <returns>True when it stopped by itself.</returns>
    public static Task<bool> StopAsync(ProxyStateDocument proxy, TimeSpan timeout, TimeProvider timeProvider, CancellationToken ct) =>
        ProcessSupervisor.StopAsync(
            ProxyFiles.IdentityOf(proxy.ProcessId, proxy.ProcessStartTime, proxy.Id), ProcessSignals.Terminate, timeout, timeProvider, ct);
}
