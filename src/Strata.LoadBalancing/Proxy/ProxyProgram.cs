using System.Runtime.InteropServices;
using Strata.LoadBalancing.Proxy;

namespace Strata.LoadBalancing.Proxy;

/// <summary>Exit codes of the proxy process.</summary>
public static class ProxyExitCodes
{
    public const int Ok = 0;

    /// <summary>The config file is missing or invalid; the reason is on stderr.</summary>
    public const int InvalidConfig = 2;

    /// <summary>A listen address is in use or not allowed; the reason is on stderr and in the state file.</summary>
    public const int CannotListen = 3;

    /// <summary>Its files could not be written or read while it ran; the reason is on stderr.</summary>
    public const int Failed = 4;
}

/// <summary>
/// The built-in load balancer's process (the <c>strata proxy --config FILE</c> command). It reads its config, serves
/// traffic and the admin API until SIGTERM, SIGINT or <paramref name="ct"/>, then drains in-flight requests.
/// </summary>
public static class ProxyProgram
{
    /// <summary>
    /// Runs the proxy; returns one of <see cref="ProxyExitCodes"/>. It is the whole process (started straight from
    /// <c>Main</c>, with no command-line layer around it), so every way it ends is an exit code and a line on stderr,
    /// never an unhandled exception: the driver reads the last line of the log as the reason a start failed.
    /// </summary>
    /// <param name="configPath">The config written by the driver; state, members and log live next to it.</param>
    public static async Task<int> RunAsync(string configPath, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(configPath))
        {
            await Console.Error.WriteLineAsync("strata proxy: invalid config: no config file was given").ConfigureAwait(false);
            return ProxyExitCodes.InvalidConfig;
        }

        var path = Path.GetFullPath(configPath);
        ProxyConfig config;
        try
        {
            config = ProxyConfig.Load(path);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"strata proxy: invalid config: {ex.Message}").ConfigureAwait(false);
            return ProxyExitCodes.InvalidConfig;
        }

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        var server = new ProxyServer(config, new ProxyFiles(path), TimeProvider.System);
        try
        {
            return await server.RunAsync(stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Told to stop while still starting (a driver stopping or replacing it): that is a stop, not a crash.
            return ProxyExitCodes.Ok;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"strata proxy: load balancer {config.Id} failed: {ex.Message}").ConfigureAwait(false);
            return ProxyExitCodes.Failed;
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }
    }
}
