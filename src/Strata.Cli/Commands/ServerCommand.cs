using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Strata.Cli.Client;
using Strata.Common.Processes;
using Strata.ControlPlane.Hosting;

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

    public Command Create()
    {
        var command = new Command("server", "Run the control plane in the foreground (REST API, reconciler, health checks).");
        command.Options.Add(_listen);
        command.SetAction(RunAsync);

        var start = new Command("start", "Start the control plane in the background unless one is running.");
        start.Options.Add(_listen);
        start.SetAction(StartAsync);
        var stop = new Command("stop", "Stop the background control plane; servers and load balancers keep running.");
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
        using var homeLock = HomeLock.TryTake(context.Paths);
        if (homeLock is null)
        {
            // Two commands that start a control plane at once: one reconciler per home, the other gives way.
            await context.Error.WriteLineAsync($"strata: a control plane already runs for {context.Paths.Root} (it holds {HomeLock.PathOf(context.Paths)})").ConfigureAwait(false);
            return ExitCodes.Conflict;
        }

        var listen = result.GetValue(_listen)!;
        await using var app = ControlPlaneHost.Build(context.ControlPlaneOptions(listen));
        ListenRecord.Write(context.Paths, listen);
        await app.StartAsync(ct).ConfigureAwait(false);
        await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private async Task<int> StartAsync(ParseResult result, CancellationToken ct)
    {
        using var client = await context.StartControlPlaneAsync(result.GetValue(_listen), ct).ConfigureAwait(false);
        await context.Error.WriteLineAsync($"strata: the control plane runs at {client.BaseUrl}").ConfigureAwait(false);
        return ExitCodes.Success;
    }

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
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (info is not null && ProcessStat.Read(info.Pid) is { IsAlive: true } && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, ct).ConfigureAwait(false);
        }

        await context.Error.WriteLineAsync($"strata: the control plane (pid {info?.Pid}) stopped; servers and load balancers keep running").ConfigureAwait(false);
        return ExitCodes.Success;
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
