using System.Globalization;
using System.Net;
using System.Text.Json;
using Strata.Api.Contracts.Agent;

namespace Strata.Agent;

/// <summary>
/// The agent on a host: says hello with what the host has, then sends a heartbeat every interval and carries out the
/// control plane's requests (each answered by its own reply, several at once) until the control plane sends
/// <c>stop</c> or its stdin ends (the SSH channel closed, or the connection died), and exits. The servers it runs
/// stay up when it exits; the next agent adopts them.
/// </summary>
public static class AgentProgram
{
    /// <summary>The exit code of an agent that refused to run because another agent holds its folder.</summary>
    public const int FolderInUse = 3;

    /// <summary>How often the agent rotates its servers' logs that grew too large.</summary>
    internal static readonly TimeSpan LogRotationInterval = TimeSpan.FromMinutes(1);

    /// <summary>Runs the agent, or with <c>proxy --config FILE</c> a built-in load balancer it started on the host.</summary>
    public static Task<int> Main(string[] args) => args is ["proxy", "--config", var config]
        ? LoadBalancing.Proxy.ProxyProgram.RunAsync(config, CancellationToken.None)
        : RunAsync(args, Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error, TimeProvider.System, CancellationToken.None);

    public static async Task<int> RunAsync(string[] args, Stream input, Stream output, TextWriter error, TimeProvider time, CancellationToken ct)
    {
        if (!AgentArguments.TryParse(args, out var arguments, out var problem))
        {
            await error.WriteLineAsync($"strata agent: {problem}").ConfigureAwait(false);
            return 2;
        }

        var writer = new AgentWriter(output);
        var (folderLock, refusal) = await AgentFolderLock.TakeAsync(arguments.Folder, arguments.Host, time, ct).ConfigureAwait(false);
        if (folderLock is null)
        {
            await error.WriteLineAsync($"strata agent: {refusal}").ConfigureAwait(false);
            await writer.SendAsync(new AgentRefused { Reason = refusal! }, ct).ConfigureAwait(false);
            return FolderInUse;
        }

        using var held = folderLock;
        using var engine = new AgentEngine(arguments, time);
        var hello = HostMeasurements.Hello(arguments.Folder) with { EngineRoot = engine.EngineRoot, UploadFolder = engine.UploadFolder };
        await writer.SendAsync(hello, ct).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stopping = stop.Token;
        engine.ServerStopped += stopped => _ = ReportExitAsync(writer, stopped, error, stopping);
        using var health = new HealthWatches(report => SendReport(writer, report, error, stopping), time);
        var requests = new AgentRequests(engine, health, writer, error);
        var beats = new AgentHeartbeats(writer, engine, health, arguments.HeartbeatInterval, time);
        var heartbeats = beats.StartBeating(stop.Token);
        var digests = beats.KeepDigestAsync(stop.Token);
        var rotations = RotateLogsAsync(engine, time, error, stop.Token);
        var inputEnded = requests.ReadAsync(input, stop.Token);
        await Task.WhenAny(heartbeats, inputEnded).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(heartbeats, inputEnded, rotations, digests).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException ex)
        {
            // Nobody reads any more: the channel is gone, so the agent's work is over.
            await error.WriteLineAsync($"strata agent: the channel closed: {ex.Message}").ConfigureAwait(false);
        }

        await requests.WaitForInFlightAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// Rotates the servers' logs that grew too large every <see cref="LogRotationInterval"/>: on a host, it is the agent
    /// that keeps them, whether or not a control plane is connected.
    /// </summary>
    private static async Task RotateLogsAsync(AgentEngine engine, TimeProvider time, TextWriter error, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(LogRotationInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await engine.RotateLogsAsync(ct).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    await error.WriteLineAsync($"strata agent: could not rotate the servers' logs: {ex.Message}").ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Sends a health result from the probe thread that got it, which waits for the write: results of one server stay in order.</summary>
    private static void SendReport(AgentWriter writer, AgentHealth report, TextWriter error, CancellationToken ct)
    {
        try
        {
            ct.ThrowIfCancellationRequested();
            writer.Send(report);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The channel is gone; the next control plane watches the server again.
            error.WriteLine($"strata agent: could not report the health of {report.ServerId}: {ex.Message}");
        }
    }

    private static async Task ReportExitAsync(AgentWriter writer, Providers.ServerStopped stopped, TextWriter error, CancellationToken ct)
    {
        try
        {
            await writer.SendAsync(new AgentServerExited { Deployment = stopped.Deployment, ServerId = stopped.ServerId }, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The channel is gone; the next control plane lists the server as stopped.
            await error.WriteLineAsync($"strata agent: could not report the exit of {stopped.ServerId}: {ex.Message}").ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Writes one message per line, whole, from whichever thread: heartbeats, answers and health results come from
/// different ones. Writes are synchronous: a stream's asynchronous write (stdout's among them) runs on the thread pool,
/// and a heartbeat must go out while the pool is busy with the host's work.
/// </summary>
internal sealed class AgentWriter(Stream output)
{
    private readonly Lock _gate = new();

    public void Send(AgentMessage message)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(message, AgentJsonContext.Default.AgentMessage);
        lock (_gate)
        {
            output.Write(line);
            output.WriteByte((byte)'\n');
            output.Flush();
        }
    }

    public Task SendAsync(AgentMessage message, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Send(message);
        return Task.CompletedTask;
    }
}

/// <summary>
/// The agent's command line: <c>--folder DIR</c> (where it lives), <c>--heartbeat-ms N</c>, <c>--address A</c> (the
/// host's address, which every server gets; without it servers get loopback addresses as on the control plane's
/// machine), <c>--zone Z</c> (the host's zone) and <c>--host NAME</c> (the host's name in the fleet, which tells an
/// earlier agent of the same host, to be replaced, from another host's agent sharing the folder).
/// </summary>
internal sealed record AgentArguments(string Folder, TimeSpan HeartbeatInterval, string? Address = null, string Zone = AgentArguments.DefaultZone, string? Host = null)
{
    public const string DefaultZone = "default";

    public static bool TryParse(string[] args, out AgentArguments arguments, out string? problem)
    {
        arguments = new AgentArguments(".", TimeSpan.FromSeconds(1));
        problem = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--folder" when value is not null:
                    arguments = arguments with { Folder = value };
                    break;
                case "--heartbeat-ms" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0:
                    arguments = arguments with { HeartbeatInterval = TimeSpan.FromMilliseconds(ms) };
                    break;
                case "--address" when IPAddress.TryParse(value, out _):
                    arguments = arguments with { Address = value };
                    break;
                case "--zone" when !string.IsNullOrWhiteSpace(value):
                    arguments = arguments with { Zone = value };
                    break;
                case "--host" when !string.IsNullOrWhiteSpace(value) && !value.Contains(' ', StringComparison.Ordinal):
                    arguments = arguments with { Host = value };
                    break;
                default:
                    problem = $"'{args[i]}' is not understood; use --folder DIR, --heartbeat-ms N (N > 0), --address IP, --zone Z and --host NAME";
                    return false;
            }

            i++;
        }

        return true;
    }
}
