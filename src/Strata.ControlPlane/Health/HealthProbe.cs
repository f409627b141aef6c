using System.Net.Sockets;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Health;

/// <summary>The outcome of one probe: whether it passed and, when not, why.</summary>
public readonly record struct ProbeResult(bool Passed, string? Detail)
{
    public static ProbeResult Pass { get; } = new(true, null);

    /// <summary>True when the probe failed because it ran out of time, rather than on an answer or a refused connection.</summary>
    public bool TimedOut { get; init; }

    public static ProbeResult Fail(string detail) => new(false, detail);
}

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
}

internal sealed class HealthProbe(IServerShell shell) : IHealthProbe
{
    public async Task<ProbeResult> ProbeAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(check.Timeout);
        try
        {
            return check.Kind switch
            {
                HealthCheckKind.Http => await ProbeHttpAsync(check, target, timeout.Token).ConfigureAwait(false),
                HealthCheckKind.Tcp => await ProbeTcpAsync(check, target, timeout.Token).ConfigureAwait(false),
                _ => await ProbeCommandAsync(check, target, cancellationToken).ConfigureAwait(false),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ProbeResult.Fail($"timed out after {check.Timeout.TotalMilliseconds:0} ms") with { TimedOut = true };
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return ProbeResult.Fail(ex.Message);
        }
    }

    private static Task<ProbeResult> ProbeHttpAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken ct) =>
        HttpCheck.ProbeAsync(target.Address, check.Port ?? target.DefaultPort ?? 80, check.Path ?? "/", ct);

    private static async Task<ProbeResult> ProbeTcpAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken ct)
    {
        var port = check.Port ?? target.DefaultPort ?? throw new InvalidOperationException("a tcp check needs a port");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(target.Address, port, ct).ConfigureAwait(false);
        return ProbeResult.Pass;
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
            { TimedOut: true } => ProbeResult.Fail($"timed out after {check.Timeout.TotalMilliseconds:0} ms") with { TimedOut = true },
            { ExitCode: 0 } => ProbeResult.Pass,
            _ => ProbeResult.Fail($"check command exited with code {result.ExitCode}: {LastLine(result.Text)}"),
        };
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
}
