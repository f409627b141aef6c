using System.Diagnostics;
using System.Net.Sockets;
using Strata.ControlPlane.Reconciliation;
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

    /// <summary>Why <see cref="Command"/> is null, reported as the probe's failure.</summary>
    public string? CommandUnresolved { get; init; }

    /// <summary>The target of <paramref name="tier"/>'s check on <paramref name="server"/>: a command check runs like the server's hooks.</summary>
    public static ProbeTarget For(DeploymentRuntime runtime, TierSpec tier, ServerInstance server) =>
        For(runtime, tier, tier.Health, server, tier.Ports.FirstOrDefault()?.Port);

    /// <summary>
    /// The target of <paramref name="check"/> on a server of <paramref name="tier"/>, e.g. a load balancer's own check
    /// (whose http port defaults to the port it sends to, <paramref name="port"/>).
    /// </summary>
    public static ProbeTarget For(DeploymentRuntime runtime, TierSpec tier, HealthCheckSpec? check, ServerInstance server, int? port)
    {
        if (check?.Command is not { } template)
        {
            return new ProbeTarget(server.Address, port, server.RootPath, new Dictionary<string, string>());
        }

        try
        {
            var command = ServerCommand.For(runtime, tier, server, template);
            return new ProbeTarget(server.Address, port, server.RootPath, command.Environment) { Command = command.Text };
        }
        catch (InvalidOperationException ex)
        {
            return new ProbeTarget(server.Address, port, server.RootPath, new Dictionary<string, string>()) { CommandUnresolved = ex.Message };
        }
    }
}

/// <summary>Runs one http, tcp or command health check against a server.</summary>
public interface IHealthProbe
{
    Task<ProbeResult> ProbeAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken);
}

internal sealed class HealthProbe : IHealthProbe
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
                _ => await ProbeCommandAsync(target, timeout.Token).ConfigureAwait(false),
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

    private static async Task<ProbeResult> ProbeCommandAsync(ProbeTarget target, CancellationToken ct)
    {
        if (target.Command is null)
        {
            return ProbeResult.Fail($"the check command cannot run yet: {target.CommandUnresolved ?? "it was not resolved for this server"}");
        }

        var start = new ServerCommand(target.Command, target.Environment).StartInfo(target.WorkingDirectory ?? "/");

        using var process = Process.Start(start) ?? throw new IOException("could not start the check command");
        try
        {
            var stderr = process.StandardError.ReadToEndAsync(ct);
            _ = process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            return process.ExitCode == 0
                ? ProbeResult.Pass
                : ProbeResult.Fail($"check command exited with code {process.ExitCode}: {LastLine(await stderr.ConfigureAwait(false))}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
}
