using System.CommandLine;
using System.Text.Json;
using Strata.Api.Contracts;
using Strata.Cli.Client;
using Strata.Common.Text;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata host drain NAME</c> and <c>strata host resume NAME</c>: take a host out of placement while its servers move
/// to other hosts through the rolling-update path, and put it back. Drain waits until no server is left on the host,
/// printing each one that leaves, or until every one left cannot be moved (no other host can take it).
/// </summary>
public sealed class HostDrainCommands(CliContext context)
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(500);
    private readonly Argument<string> _name = new("NAME") { Description = "The host's name in Strata." };
    private readonly Option<bool> _noWait = new("--no-wait") { Description = "Return once the host is draining, without waiting for its servers to move." };
    private readonly Option<TimeSpan> _timeout = DurationOption.Create("--timeout", "How long to wait for the host's servers to move", TimeSpan.FromMinutes(10));
    private readonly Option<bool> _json = new("--json") { Description = "Print the host as JSON on stdout at the end." };

    public Command CreateDrain()
    {
        var drain = new Command("drain", "Keep the host out of placement and move its servers to other hosts (a replacement serves before each old server leaves its load balancer).");
        drain.Arguments.Add(_name);
        drain.Options.Add(_noWait);
        drain.Options.Add(_timeout);
        drain.Options.Add(_json);
        drain.SetAction((result, ct) => context.WithControlPlaneAsync(client => DrainAsync(result, client, ct), ct));
        return drain;
    }

    public Command CreateResume()
    {
        var resume = new Command("resume", "Make a draining host ready again: new servers may be placed on it.");
        resume.Arguments.Add(_name);
        resume.Options.Add(_json);
        resume.SetAction((result, ct) => context.WithControlPlaneAsync(async client =>
        {
            var host = await client.SetHostDrainingAsync(result.GetValue(_name)!, draining: false, ct).ConfigureAwait(false);
            await PrintJsonAsync(result, host).ConfigureAwait(false);
            await context.Error.WriteLineAsync($"Host '{host.Name}' is {host.State}: new servers may be placed on it.").ConfigureAwait(false);
            return ExitCodes.Success;
        }, ct));
        return resume;
    }

    private async Task<int> DrainAsync(ParseResult result, ControlPlaneClient client, CancellationToken ct)
    {
        var name = result.GetValue(_name)!;
        var host = await client.SetHostDrainingAsync(name, draining: true, ct).ConfigureAwait(false);
        var left = host.Drain ?? new HostDrainDto { Servers = [] };
        var moving = left.Servers.Select(Describe)
            .Concat(left.Volumes.Where(v => v.Idle).Select(v => $"volume {v.Volume} ({v.Deployment}/{v.Tier}, which no server holds)"))
            .Concat(left.LoadBalancers.Select(l => $"load balancer {l.LoadBalancer} ({l.Deployment})")).ToList();
        await context.Error.WriteLineAsync(moving.Count == 0
            ? $"Draining host '{name}': it runs no servers."
            : $"Draining host '{name}': moving {ToGo(left)} to other hosts: {string.Join(", ", moving)}.").ConfigureAwait(false);
        var exit = ExitCodes.Success;
        if (!result.GetValue(_noWait))
        {
            (host, exit) = await WaitAsync(client, host, result.GetValue(_timeout), ct).ConfigureAwait(false);
        }

        await PrintJsonAsync(result, host).ConfigureAwait(false);
        return exit;
    }

    /// <summary>Follows the drain until no server or moving volume is left, every one left is blocked, or the timeout passes.</summary>
    private async Task<(HostDto Host, int Exit)> WaitAsync(ControlPlaneClient client, HostDto host, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var left = host.Drain ?? new HostDrainDto { Servers = [] };
        while (true)
        {
            var now = host.Drain ?? new HostDrainDto { Servers = [] };
            await ReportGoneAsync(host.Name, left, now).ConfigureAwait(false);
            left = now;
            var blocked = now.Servers.Select(s => (What: s.Server, Of: OfTier(s.Deployment, s.Tier), s.Blocked, Stays: "It keeps running there."))
                .Concat(now.Volumes.Select(v => (What: $"volume {v.Volume}", Of: OfTier(v.Deployment, v.Tier), v.Blocked, Stays: "It stays there, whole.")))
                .Concat(now.LoadBalancers.Select(l => (What: $"load balancer {l.LoadBalancer}", Of: $"(deployment {l.Deployment})", l.Blocked, Stays: "It keeps serving there.")))
                .ToList();
            if (blocked.Count == 0)
            {
                await context.Error.WriteLineAsync($"Drained host '{host.Name}': no servers left on it. It stays out of placement until `strata host resume {host.Name}`; `strata host remove {host.Name}` forgets it.").ConfigureAwait(false);
                return (host, ExitCodes.Success);
            }

            if (blocked.All(b => b.Blocked is not null))
            {
                foreach (var (what, of, why, stays) in blocked)
                {
                    await context.Error.WriteLineAsync($"strata: cannot move {what} {of} off host {host.Name}: {why}. {stays}").ConfigureAwait(false);
                }

                await context.Error.WriteLineAsync($"Host '{host.Name}' stays draining: add a host that can take {(blocked.Count == 1 ? "it" : "them")} and the drain goes on, or `strata host resume {host.Name}`.").ConfigureAwait(false);
                return (host, ExitCodes.NotConverged);
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                await context.Error.WriteLineAsync($"strata: {ToGo(now)} still on host {host.Name} after {timeout.TotalSeconds:0}s: {string.Join(", ", blocked.Select(b => $"{b.What} {b.Of}"))}; the drain goes on (`strata hosts` shows it).").ConfigureAwait(false);
                return (host, ExitCodes.NotConverged);
            }

            await Task.Delay(s_poll, ct).ConfigureAwait(false);
            host = (await client.ListHostsAsync(ct).ConfigureAwait(false)).FirstOrDefault(h => h.Name == host.Name)
                ?? throw new ControlPlaneException(System.Net.HttpStatusCode.NotFound, $"host '{host.Name}' was removed while it drained", null);
        }
    }

    /// <summary>Says which servers and volumes left the host since the drain was last read.</summary>
    private async Task ReportGoneAsync(string host, HostDrainDto before, HostDrainDto now)
    {
        foreach (var gone in before.Servers.Where(l => !now.Servers.Any(s => s.Server == l.Server)))
        {
            await context.Error.WriteLineAsync(gone.KeepsVolumes
                ? $"  {Describe(gone)} stopped on {host}: its replacement starts on another host with its volumes; {ToGo(now)} to go"
                : $"  {Describe(gone)} left {host}: its replacement serves elsewhere; {ToGo(now)} to go").ConfigureAwait(false);
        }

        foreach (var gone in before.Volumes.Where(l => !now.Volumes.Any(v => v.Volume == l.Volume)))
        {
            await context.Error.WriteLineAsync(gone.Idle
                ? $"  volume {gone.Volume} ({gone.Deployment}/{gone.Tier}), which no server holds, left {host}: it was copied to a host where a server of its tier can start; {ToGo(now)} to go"
                : $"  volume {gone.Volume} ({gone.Deployment}/{gone.Tier}) left {host}: the replacement of its server starts on it elsewhere; {ToGo(now)} to go").ConfigureAwait(false);
        }

        foreach (var gone in before.LoadBalancers.Where(l => !now.LoadBalancers.Any(b => b.Deployment == l.Deployment && b.LoadBalancer == l.LoadBalancer)))
        {
            await context.Error.WriteLineAsync($"  load balancer {gone.LoadBalancer} ({gone.Deployment}) left {host}: it starts on another host (`strata status {gone.Deployment}` gives its address); {ToGo(now)} to go").ConfigureAwait(false);
        }
    }

    private static string OfTier(string deployment, string tier) => $"of tier '{tier}' (deployment {deployment})";

    /// <summary>"2 servers", "1 server and 1 volume", "no servers": what is left, with the servers always named.</summary>
    private static string ToGo(HostDrainDto drain)
    {
        var parts = new List<string> { Servers(drain.Servers.Count) };
        if (drain.Volumes.Count > 0)
        {
            parts.Add(Counts.Of(drain.Volumes.Count, "volume"));
        }

        if (drain.LoadBalancers.Count > 0)
        {
            parts.Add(Counts.Of(drain.LoadBalancers.Count, "load balancer"));
        }

        if (drain.Servers.Count == 0 && parts.Count > 1)
        {
            parts.RemoveAt(0);
        }

        return parts.Count == 1 ? parts[0] : $"{string.Join(", ", parts[..^1])} and {parts[^1]}";
    }

    private async Task PrintJsonAsync(ParseResult result, HostDto host)
    {
        if (result.GetValue(_json))
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(host, HostJsonContext.Default.HostDto)).ConfigureAwait(false);
        }
    }

    private static string Describe(HostDrainServerDto server) => $"{server.Server} ({server.Deployment}/{server.Tier})";

    private static string Servers(int count) => Counts.Of(count, "server");
}
