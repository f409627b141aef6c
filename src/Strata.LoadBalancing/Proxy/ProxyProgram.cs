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
}

/// <summary>
/// The built-in load balancer's process (the <c>strata proxy --config FILE</c> command). It reads its config, serves
/// traffic and the admin API until SIGTERM, SIGINT or <paramref name="ct"/>, then drains in-flight requests.
/// </summary>
public static class ProxyProgram
{
    /// <summary>Runs the proxy; returns one of <see cref="ProxyExitCodes"/>.</summary>
    /// <param name="configPath">The config written by the driver; state, members and log live next to it.</param>
    public static async Task<int> RunAsync(string configPath, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(configPath);
        ProxyConfig config;
        try
        {
            config = ProxyConfig.Load(configPath);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"strata proxy: invalid config: {ex.Message}").ConfigureAwait(false);
            return ProxyExitCodes.InvalidConfig;
        }

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        var server = new ProxyServer(config, new ProxyFiles(configPath), TimeProvider.System);
        return await server.RunAsync(stopping.Token).ConfigureAwait(false);

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }
    }
}
