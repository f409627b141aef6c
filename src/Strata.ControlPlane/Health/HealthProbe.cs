using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Providers.Probes;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Health;

/// <summary>What a probe is aimed at: the server's address and, for command checks, its root folder and environment.</summary>
public sealed record ProbeTarget(string Address, int? DefaultPort, string? WorkingDirectory, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>The check's command resolved for this server (see <see cref="ServerCommand"/>); null when it cannot be resolved yet.</summary>
    public string? Command { get; init; }

    /// <summary>The server whose machine runs <see cref="Command"/>.</summary>
    public string ServerId { get; init; } = "";

    /// <summary>Why <see cref="Command"/> is null, reported as the probe's failure.</summary>
    public string? CommandUnresolved { get; init; }

    /// <summary>The target of <paramref name="tier"/>'s check on <paramref name="server"/>: a command check runs like the server's hooks.</summary>
    public static ProbeTarget For(DeploymentRuntime runtime, TierSpec tier, ServerInstance server) =>
        For(runtime, tier, tier.Health, server, tier.Ports.FirstOrDefault()?.Port);

    /// <summary>The target of <paramref name="tier"/>'s check on a drill's scratch server, its references resolved against the scratch copy's <paramref name="state"/>.</summary>
    public static ProbeTarget For(DeploymentRuntime runtime, DeploymentState state, TierSpec tier, ServerInstance server) =>
        For(runtime, tier, tier.Health, server, tier.Ports.FirstOrDefault()?.Port, state);

    /// <summary>
    /// The target of <paramref name="check"/> on a server of <paramref name="tier"/>, e.g. a load balancer's own check
    /// (whose http port defaults to the port it sends to, <paramref name="port"/>).
    /// </summary>
    public static ProbeTarget For(DeploymentRuntime runtime, TierSpec tier, HealthCheckSpec? check, ServerInstance server, int? port, DeploymentState? state = null)
    {
        if (check?.Command is not { } template)
        {
            return new ProbeTarget(server.Address, port, server.RootPath, new Dictionary<string, string>()) { ServerId = server.Id };
        }

        try
        {
            var command = ServerCommand.For(runtime, tier, server, template, state);
            return new ProbeTarget(server.Address, port, server.RootPath, command.Environment) { Command = command.Text, ServerId = server.Id };
        }
        catch (InvalidOperationException ex)
        {
            return new ProbeTarget(server.Address, port, server.RootPath, new Dictionary<string, string>()) { CommandUnresolved = ex.Message, ServerId = server.Id };
        }
    }
}

/// <summary>Runs one http, tcp or command health check against a server.</summary>
public interface IHealthProbe
{
    Task<ProbeResult> ProbeAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken);

    /// <summary>
    /// The same probe on the calling thread, which it blocks until the answer or the check's timeout: how the probe
    /// threads run it (see <see cref="ProbeWorkers"/>). By default it waits for <see cref="ProbeAsync"/>.
    /// </summary>
    ProbeResult Probe(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken) =>
        ProbeAsync(check, target, cancellationToken).GetAwaiter().GetResult();
}

internal sealed class HealthProbe(IServerShell shell) : IHealthProbe
{
    /// <summary>An http or tcp probe on a thread-pool thread, which it blocks (a drill's few probes); a command's asynchronously.</summary>
    public Task<ProbeResult> ProbeAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken) =>
        check.Kind is HealthCheckKind.Http or HealthCheckKind.Tcp
            ? Task.Run(() => Probe(check, target, cancellationToken), cancellationToken)
            : ProbeCommandAsync(check, target, cancellationToken);

    /// <summary>
    /// Blocking sockets whose send and receive timeouts (which bound the connect too) are what is left of the check's
    /// timeout: a blocked probe thread is woken by the kernel when its answer arrives, with nothing else in between.
    /// </summary>
    public ProbeResult Probe(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken) => check.Kind switch
    {
        HealthCheckKind.Http => SocketProbe.Probe(SocketProbeKind.Http, target.Address, check.Port ?? target.DefaultPort ?? 80, check.Path ?? "/", check.Timeout),
        HealthCheckKind.Tcp => SocketProbe.Probe(
            SocketProbeKind.Tcp, target.Address, check.Port ?? target.DefaultPort ?? throw new InvalidOperationException("a tcp check needs a port"), "", check.Timeout),
        _ => ProbeCommand(check, target, cancellationToken),
    };

    private ProbeResult ProbeCommand(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken)
    {
        try
        {
            return ProbeCommandAsync(check, target, cancellationToken).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException)
        {
            return ProbeResult.Fail(ex.Message);
        }
    }

    /// <summary>Runs the check's command where the server runs, stopped at the check's timeout.</summary>
    private async Task<ProbeResult> ProbeCommandAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken ct)
    {
        if (target.Command is null)
        {
            return ProbeResult.Fail($"the check command cannot run yet: {target.CommandUnresolved ?? "it was not resolved for this server"}");
        }

        ShellResult result;
        try
        {
            result = await shell.RunAsync(new ShellRequest
            {
                ServerId = target.ServerId, WorkingDirectory = target.WorkingDirectory ?? "/", Command = target.Command, Environment = target.Environment,
                Timeout = check.Timeout,
            }, ct).ConfigureAwait(false);
        }
        catch (ProviderException ex)
        {
            return ProbeResult.Fail($"the check command could not run: {ex.Message}");
        }

        return result switch
        {
            { TimedOut: true } => SocketProbe.TimedOut(check.Timeout),
            { ExitCode: 0 } => ProbeResult.Pass,
            _ => ProbeResult.Fail($"check command exited with code {result.ExitCode}: {LastLine(result.Text)}"),
        };
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
}
