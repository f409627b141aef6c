using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Strata.Api.Contracts;

namespace Strata.Cli.Commands;

/// <summary><c>strata host add|drain|resume|remove</c> and <c>strata hosts</c>: the machines Strata reaches over SSH.</summary>
public sealed class HostCommands(CliContext context)
{
    private readonly Argument<string> _name = new("NAME") { Description = "The host's name in Strata (letters, digits, '.', '_', '-')." };
    private readonly Option<string> _ssh = new("--ssh") { Description = "USER@ADDRESS[:PORT] to log in to (port 22 when left out).", Required = true };
    private readonly Option<string?> _identity = new("--identity") { Description = "The private key to log in with; the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa when left out." };
    private readonly Option<string?> _zone = new("--zone") { Description = "The data center the host is in." };
    private readonly Option<string?> _region = new("--region") { Description = "The region the host is in." };
    private readonly Option<string[]> _labels = new("--label") { Description = "A label k=v (repeatable).", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string?> _agentDir = new("--agent-dir") { Description = "Where the agent lives on the host (default ~/.strata-agent)." };
    private readonly Option<string?> _agentRuntime = new("--agent-runtime") { Description = "The dotnet that runs the agent on the host (default: dotnet on the login's PATH)." };
    private readonly Option<bool> _acceptNew = new("--accept-new-host-key") { Description = "Trust the host's key when none is recorded for it (a changed key is always refused)." };
    private readonly Option<bool> _json = new("--json") { Description = "Print JSON on stdout." };
    private readonly Option<bool> _force = new("--force") { Description = "Remove the host although servers run there: they are stopped there and replaced elsewhere, as for a lost host." };

    public Command CreateHost()
    {
        var add = new Command("add", "Register a host: log in over SSH, check its host key, install the agent and start it.");
        add.Arguments.Add(_name);
        foreach (var option in new Option[] { _ssh, _identity, _zone, _region, _labels, _agentDir, _agentRuntime, _acceptNew, _json })
        {
            add.Options.Add(option);
        }

        add.Validators.Add(result =>
        {
            foreach (var label in result.GetValue(_labels) ?? [])
            {
                if (!TrySplitLabel(label, out _, out _))
                {
                    result.AddError($"'{label}' is not a label for --label; write KEY=VALUE, e.g. --label disk=ssd");
                }
            }

            if (result.GetValue(_identity) is { } identity && !File.Exists(identity))
            {
                result.AddError($"--identity '{identity}' does not exist; give the private key file to log in with");
            }
        });
        add.SetAction(AddAsync);

        var remove = new Command("remove", "Stop the host's agent and forget the host (and its recorded host key); refused while servers run there, unless --force.");
        remove.Arguments.Add(_name);
        remove.Options.Add(_force);
        remove.SetAction(RemoveAsync);

        var command = new Command("host", "Manage the hosts Strata reaches over SSH (adding, draining, resuming and removing needs an admin token).");
        command.Subcommands.Add(add);
        var drains = new HostDrainCommands(context);
        command.Subcommands.Add(drains.CreateDrain());
        command.Subcommands.Add(drains.CreateResume());
        command.Subcommands.Add(remove);
        return command;
    }

    public Command CreateHosts()
    {
        var hosts = new Command("hosts", "List hosts: state, capacity measured by their agents, last heartbeat.");
        hosts.Options.Add(_json);
        hosts.SetAction(ListAsync);
        return hosts;
    }

    private async Task<int> AddAsync(ParseResult result, CancellationToken ct)
    {
        var labels = (result.GetValue(_labels) ?? []).Select(l => TrySplitLabel(l, out var k, out var v) ? (k, v) : default)
            .GroupBy(l => l.k).ToDictionary(g => g.Key!, g => g.Last().v!);
        var request = new HostAddRequest
        {
            Name = result.GetValue(_name)!,
            Ssh = result.GetValue(_ssh)!,
            // The control plane runs elsewhere in the file system than this shell: it gets an absolute path.
            Identity = result.GetValue(_identity) is { } identity ? Path.GetFullPath(identity) : null,
            Zone = result.GetValue(_zone),
            Region = result.GetValue(_region),
            Labels = labels,
            AgentDir = result.GetValue(_agentDir),
            AgentRuntime = result.GetValue(_agentRuntime),
            AcceptNewHostKey = result.GetValue(_acceptNew),
        };
        using var client = await context.StartControlPlaneAsync(null, ct).ConfigureAwait(false);
        var host = await client.AddHostAsync(request, ct).ConfigureAwait(false);
        if (result.GetValue(_json))
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(host, HostJsonContext.Default.HostDto)).ConfigureAwait(false);
        }

        await context.Error.WriteLineAsync($"Added host '{host.Name}' ({host.Ssh}): agent {host.AgentVersion}, {Capacity(host)}.").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private Task<int> RemoveAsync(ParseResult result, CancellationToken ct) => context.WithControlPlaneAsync(async client =>
    {
        var name = result.GetValue(_name)!;
        await client.RemoveHostAsync(name, result.GetValue(_force), ct).ConfigureAwait(false);
        await context.Error.WriteLineAsync($"Removed host '{name}'.").ConfigureAwait(false);
        return ExitCodes.Success;
    }, ct);

    private Task<int> ListAsync(ParseResult result, CancellationToken ct) => context.WithControlPlaneAsync(async client =>
    {
        var hosts = await client.ListHostsAsync(ct).ConfigureAwait(false);
        if (result.GetValue(_json))
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(hosts, HostJsonContext.Default.IReadOnlyListHostDto)).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        await context.Out.WriteLineAsync($"{"NAME",-16} {"SSH",-32} {"ZONE",-10} {"REGION",-10} {"STATE",-20} {"SERVERS",-8} {"CPU",-12} {"MEMORY",-20} {"DISK FREE",-10} {"AGENT",-8} LAST HEARTBEAT").ConfigureAwait(false);
        foreach (var host in hosts)
        {
            var heartbeat = host.LastHeartbeat is { } at ? at.ToString("u", CultureInfo.InvariantCulture) : "never";
            await context.Out.WriteLineAsync(
                $"{host.Name,-16} {host.Ssh,-32} {host.Zone ?? "-",-10} {host.Region ?? "-",-10} {State(host),-20} {host.Servers,-8} {Cpu(host),-12} {Memory(host),-20} {DiskFree(host),-10} {host.AgentVersion ?? "-",-8} {heartbeat}").ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }, ct);

    /// <summary>
    /// The state, and whether the host is connected when that is not what the state says: a host whose connection
    /// dropped stays ready (or draining) until its host timeout passes, and is reconnected to meanwhile.
    /// </summary>
    internal static string State(HostDto host) =>
        !host.Connected && host.State is "ready" or "draining" ? $"{host.State} (no channel)" : host.State;

    private static string Capacity(HostDto host) => host.Capacity is { } c
        ? $"{c.Cores} cores, {BackupCommands.Size(c.MemoryBytes)} memory, {BackupCommands.Size(c.DiskFreeBytes)} disk free"
        : "not measured yet";

    // Reserved of measured, as placement counts them: a host is never filled past the second number.
    private static string Cpu(HostDto host) => host.Capacity is { } c
        ? $"{host.Use.Cpu.ToString("0.###", CultureInfo.InvariantCulture)}/{c.Cores}"
        : "-";

    private static string Memory(HostDto host) => host.Capacity is { } c
        ? $"{BackupCommands.Size(host.Use.MemoryBytes)}/{BackupCommands.Size(c.MemoryBytes)}"
        : "-";

    private static string DiskFree(HostDto host) => host.Capacity is { } c ? BackupCommands.Size(c.DiskFreeBytes) : "-";

    private static bool TrySplitLabel(string text, out string? key, out string? value)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        key = equals > 0 ? text[..equals] : null;
        value = equals > 0 ? text[(equals + 1)..] : null;
        return key is not null;
    }
}
