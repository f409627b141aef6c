using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Strata.Cli.Client;
using Strata.Common.Processes;
using Strata.ControlPlane.Hosting;
using Strata.Providers.Hosts.Fleet;
using Strata.Spec.Grammar;

namespace Strata.Cli.Commands;

/// <summary><c>strata server</c>: runs the control plane; <c>start</c>, <c>stop</c> and <c>status</c> manage a background one.</summary>
public sealed class ServerCommand(CliContext context)
{
    private readonly Option<string> _listen = new("--listen")
    {
        Description = $"The loopback address and port of the REST API (default: where this home's control plane last listened, else {ControlPlaneOptions.DefaultListen}).",
        DefaultValueFactory = _ => ListenRecord.TryRead(context.Paths) ?? ControlPlaneOptions.DefaultListen,
    };
    private readonly Option<bool> _json = new("--json") { Description = "Print JSON on stdout." };

    private readonly Option<TimeSpan> _hostTimeout = DurationOption.Create("--host-timeout",
        "How long a host's agent may be silent before the host is unreachable; kept for later starts", new HostsOptions().HostTimeout);

    private readonly Option<TimeSpan> _hostLostAfter = DurationOption.Create("--host-lost-after",
        "How long a host's agent may be silent before the host is lost and its servers are replaced elsewhere; kept for later starts", new HostsOptions().HostLostAfter);

    private readonly Option<TimeSpan> _stopTimeout = DurationOption.Create("--timeout",
        "How long to wait for the control plane to exit", TimeSpan.FromSeconds(30));

    public Command Create()
    {
        var command = new Command("server", "Run the control plane in the foreground (REST API, reconciler, health checks).");
        command.Options.Add(_listen);
        command.Options.Add(_hostTimeout);
        command.Options.Add(_hostLostAfter);
        command.SetAction(RunAsync);

        var start = new Command("start", "Start the control plane in the background unless one is running.");
        start.Options.Add(_listen);
        start.Options.Add(_hostTimeout);
        start.Options.Add(_hostLostAfter);
        start.SetAction(StartAsync);
        var stop = new Command("stop", "Stop the background control plane; servers and load balancers keep running.");
        stop.Options.Add(_stopTimeout);
        stop.SetAction(StopAsync);
        var status = new Command("status", "Show whether a control plane runs here, with its pid, URL and version.");
        status.Options.Add(_json);
        status.SetAction(StatusAsync);
        command.Subcommands.Add(start);
        command.Subcommands.Add(stop);
        command.Subcommands.Add(status);
        command.Subcommands.Add(new ServerInstallCommand(context).Create());
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken ct)
    {
        if (await context.FindControlPlaneAsync(ct).ConfigureAwait(false) is { } running)
        {
            await context.Error.WriteLineAsync($"strata: a control plane already runs at {running.BaseUrl} for {context.Paths.Root}").ConfigureAwait(false);
            running.Dispose();
            return ExitCodes.Conflict;
        }

        context.Paths.EnsureExists();
        if (!await TryRecordHostTimingsAsync(result).ConfigureAwait(false))
        {
            return ExitCodes.Usage;
        }

        using var homeLock = HomeLock.TryTake(context.Paths);
        if (homeLock is null)
        {
            // Two commands that start a control plane at once: one reconciler per home, the other gives way.
            await context.Error.WriteLineAsync($"strata: a control plane already runs for {context.Paths.Root} (it holds {HomeLock.PathOf(context.Paths)})").ConfigureAwait(false);
            return ExitCodes.Conflict;
        }

        var listen = result.GetValue(_listen)!;
        var (hostTimeout, hostLostAfter) = HostTimingsRecord.Read(context.Paths);
        var options = context.ControlPlaneOptions(listen);
        (options.HostTimeout, options.HostLostAfter) = (hostTimeout, hostLostAfter);
        await using var app = ControlPlaneHost.Build(options);
        ListenRecord.Write(context.Paths, listen);
        await app.StartAsync(ct).ConfigureAwait(false);
        using var stopTrimming = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var trimming = MemoryTrim.RunAsync(MemoryTrim.DefaultInterval, TimeProvider.System, stopTrimming.Token);
        try
        {
            await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            await stopTrimming.CancelAsync().ConfigureAwait(false);
            await trimming.ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private async Task<int> StartAsync(ParseResult result, CancellationToken ct)
    {
        context.Paths.EnsureExists();
        if (!await TryRecordHostTimingsAsync(result).ConfigureAwait(false))
        {
            return ExitCodes.Usage;
        }

        if (Given(result, _hostTimeout) || Given(result, _hostLostAfter))
        {
            using var running = await context.FindControlPlaneAsync(ct).ConfigureAwait(false);
            if (running is not null)
            {
                await context.Error.WriteLineAsync("strata: a control plane runs already; it takes the new host timings when it starts again (`strata server stop`, then `strata server start`)").ConfigureAwait(false);
            }
        }

        using var client = await context.StartControlPlaneAsync(result.GetValue(_listen), ct).ConfigureAwait(false);
        await context.Error.WriteLineAsync($"strata: the control plane runs at {client.BaseUrl}").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>
    /// Records the host timings given on the command line over those recorded before, once they are valid together;
    /// false after saying what is wrong. Nothing given leaves the record as it is.
    /// </summary>
    private async Task<bool> TryRecordHostTimingsAsync(ParseResult result)
    {
        if (!Given(result, _hostTimeout) && !Given(result, _hostLostAfter))
        {
            return true;
        }

        var (timeout, lostAfter) = HostTimingsRecord.Read(context.Paths);
        timeout = Given(result, _hostTimeout) ? result.GetValue(_hostTimeout) : timeout;
        lostAfter = Given(result, _hostLostAfter) ? result.GetValue(_hostLostAfter) : lostAfter;
        if (HostTimingsRecord.Problems(timeout, lostAfter) is { Count: > 0 } problems)
        {
            foreach (var problem in problems)
            {
                await context.Error.WriteLineAsync($"strata: invalid host timings: {problem}").ConfigureAwait(false);
            }

            return false;
        }

        HostTimingsRecord.Write(context.Paths, timeout, lostAfter);
        return true;
    }

    private static bool Given(ParseResult result, Option<TimeSpan> option) => result.GetResult(option) is { Implicit: false };

    private async Task<int> StopAsync(ParseResult result, CancellationToken ct)
    {
        using var client = await context.FindControlPlaneAsync(ct).ConfigureAwait(false);
        if (client is null)
        {
            await context.Error.WriteLineAsync("strata: no control plane is running").ConfigureAwait(false);
            return ExitCodes.Success;
        }

        var info = await client.TryGetServerInfoAsync(ct).ConfigureAwait(false);
        await client.StopServerAsync(ct).ConfigureAwait(false);
        var timeout = result.GetValue(_stopTimeout);
        if (info is not null && !await WaitForExitAsync(info.Pid, timeout, ct).ConfigureAwait(false))
        {
            // Saying "stopped" here would send the user to start a second control plane that cannot take the home lock.
            await context.Error.WriteLineAsync(
                $"strata: the control plane (pid {info.Pid}) is still running {SpecValues.FormatDuration(timeout)} after it was asked to stop; "
                + $"wait and check with `strata server status`, or end it with `kill {info.Pid}` (servers and load balancers keep running)").ConfigureAwait(false);
            return ExitCodes.Conflict;
        }

        await context.Error.WriteLineAsync($"strata: the control plane{(info is null ? "" : $" (pid {info.Pid})")} stopped; servers and load balancers keep running").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>Whether the process exited within <paramref name="timeout"/>.</summary>
    private static async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout, CancellationToken ct)
    {
        var time = TimeProvider.System;
        var deadline = time.GetUtcNow() + timeout;
        while (ProcessStat.Read(pid) is { IsAlive: true })
        {
            if (time.GetUtcNow() >= deadline)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time, ct).ConfigureAwait(false);
        }

        return true;
    }

    private async Task<int> StatusAsync(ParseResult result, CancellationToken ct)
    {
        using var client = await context.FindControlPlaneAsync(ct).ConfigureAwait(false);
        var info = client is null ? null : await client.TryGetServerInfoAsync(ct).ConfigureAwait(false);
        if (info is null)
        {
            await context.Error.WriteLineAsync("strata: no control plane is running").ConfigureAwait(false);
            return ExitCodes.ControlPlaneUnavailable;
        }

        await context.Out.WriteLineAsync(result.GetValue(_json)
            ? JsonSerializer.Serialize(info, CliJsonContext.Default.ServerInfo)
            : $"running: pid {info.Pid}, {info.Url}, version {info.Version}, home {info.Home}, since {info.StartedAt:u}").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}

/// <summary><c>strata proxy --config FILE</c>: the built-in load balancer process (started by the control plane).</summary>
public sealed class ProxyCommand
{
    private readonly Option<FileInfo> _config = new("--config") { Description = "The proxy's configuration file.", Required = true };

    public Command Create()
    {
        var command = new Command("proxy", "Run a built-in load balancer (started by the control plane).") { Hidden = true };
        command.Options.Add(_config);
        command.SetAction((result, ct) => Strata.LoadBalancing.Proxy.ProxyProgram.RunAsync(result.GetValue(_config)!.FullName, ct));
        return command;
    }
}
