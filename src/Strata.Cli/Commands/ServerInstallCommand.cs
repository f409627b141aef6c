using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Strata.Cli.Client;
using Strata.ControlPlane.Hosting;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata server install</c>: writes a systemd unit that runs this home's control plane, so that it comes back
/// after a reboot (and then relaunches the deployments' servers on their volumes). Where systemd does not run, or
/// with <c>--print</c>, the unit is printed for the service manager at hand.
/// </summary>
public sealed class ServerInstallCommand(CliContext context)
{
    /// <summary>Where systemd keeps its runtime state; it exists only while systemd is the init system.</summary>
    private const string SystemdRuntimeFolder = "/run/systemd/system";

    private readonly Option<bool> _system = new("--system") { Description = "Install a system unit (/etc/systemd/system) running as this user, instead of a user unit." };
    private readonly Option<bool> _print = new("--print") { Description = "Print the unit on stdout instead of installing it." };
    private readonly Option<string> _name = new("--name") { Description = "The unit's name.", DefaultValueFactory = _ => "strata" };

    public Command Create()
    {
        var command = new Command("install", "Install a systemd unit so the control plane starts at boot (printed where systemd is absent).");
        command.Options.Add(_system);
        command.Options.Add(_print);
        command.Options.Add(_name);
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken ct)
    {
        var system = result.GetValue(_system);
        var unitName = result.GetValue(_name)! + ".service";
        var unit = SystemdUnit.Render(context.Paths, ListenRecord.TryRead(context.Paths) ?? ControlPlaneOptions.DefaultListen, CliContext.SelfCommand(), system);
        if (result.GetValue(_print) || !Directory.Exists(SystemdRuntimeFolder))
        {
            await context.Out.WriteAsync(unit).ConfigureAwait(false);
            if (!result.GetValue(_print))
            {
                await context.Error.WriteLineAsync($"strata: systemd is not running here ({SystemdRuntimeFolder} is absent): the unit is printed above; " +
                    $"install it as {UnitPath(system, unitName)} where systemd runs, or have your service manager run its ExecStart line with its Environment").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }

        var path = UnitPath(system, unitName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, unit, ct).ConfigureAwait(false);
        await context.Error.WriteLineAsync($"strata: wrote {path}").ConfigureAwait(false);
        var scope = system ? [] : new[] { "--user" };
        foreach (var step in new[] { new[] { "daemon-reload" }, new[] { "enable", unitName } })
        {
            if (await SystemctlAsync([.. scope, .. step], ct).ConfigureAwait(false) is { } failure)
            {
                await context.Error.WriteLineAsync($"strata: systemctl {string.Join(' ', [.. scope, .. step])} failed: {failure}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }
        }

        var manage = system ? "systemctl" : "systemctl --user";
        await context.Error.WriteLineAsync($"strata: {unitName} is enabled and starts at boot. To hand the running control plane over now: strata server stop && {manage} start {unitName}").ConfigureAwait(false);
        if (!system)
        {
            await context.Error.WriteLineAsync($"strata: a user unit starts at boot only with lingering on: loginctl enable-linger {Environment.UserName}").ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static string UnitPath(bool system, string unitName)
    {
        if (system)
        {
            return Path.Combine("/etc/systemd/system", unitName);
        }

        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(config, "systemd", "user", unitName);
    }

    /// <summary>Runs systemctl; null when it succeeded, else what it printed.</summary>
    private static async Task<string?> SystemctlAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo("systemctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new IOException("could not start systemctl");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        return process.ExitCode == 0 ? null : ((await error.ConfigureAwait(false)) + (await output.ConfigureAwait(false))).Trim();
    }
}

/// <summary>The text of a systemd unit that runs one home's control plane in the foreground.</summary>
public static class SystemdUnit
{
    public static string Render(StrataPaths paths, string listen, IReadOnlyList<string> self, bool system)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["STRATA_HOME"] = paths.Root };
        if (Environment.GetEnvironmentVariable(ControlPlaneOptions.LocalAddressesVariable) is { Length: > 0 } range)
        {
            environment[ControlPlaneOptions.LocalAddressesVariable] = range;
        }

        foreach (var (name, value) in ServerRuntimeSettings.Variables)
        {
            environment[name] = value;
        }

        var text = new StringBuilder()
            .AppendLine($"# The Strata control plane of {paths.Root}, written by `strata server install`.")
            .AppendLine("[Unit]")
            .AppendLine($"Description=Strata control plane ({paths.Root})")
            .AppendLine("After=network.target")
            .AppendLine()
            .AppendLine("[Service]")
            .AppendLine("Type=exec");
        if (system)
        {
            text.AppendLine($"User={Environment.UserName}");
        }

        foreach (var (name, value) in environment)
        {
            text.AppendLine($"Environment={Quote($"{name}={value}", exec: false)}");
        }

        text.AppendLine($"ExecStart={string.Join(' ', [.. self.Select(a => Quote(a, exec: true)), "server", "--listen", Quote(listen, exec: true)])}")
            // Servers and load balancers run in sessions of their own and outlive the control plane by design: stopping
            // the unit stops the control plane only, as `strata server stop` does.
            .AppendLine("KillMode=process")
            .AppendLine("Restart=on-failure")
            .AppendLine("RestartSec=2")
            // Exit 6: a control plane started by the CLI already runs for this home; nothing to retry.
            .AppendLine($"SuccessExitStatus={ExitCodes.Conflict}")
            .AppendLine()
            .AppendLine("[Install]")
            .AppendLine($"WantedBy={(system ? "multi-user.target" : "default.target")}");
        return text.ToString();
    }

    /// <summary>
    /// systemd's quoting: a value with spaces, quotes, backslashes or specifiers goes in double quotes, escaped;
    /// <c>%</c> is a specifier everywhere, <c>$</c> a variable in ExecStart only.
    /// </summary>
    private static string Quote(string value, bool exec)
    {
        if (!value.Any(c => char.IsWhiteSpace(c) || c is '"' or '\\' or '\'' or '%' or '$'))
        {
            return value;
        }

        var escaped = value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("%", "%%", StringComparison.Ordinal);
        return "\"" + (exec ? escaped.Replace("$", "$$", StringComparison.Ordinal) : escaped) + "\"";
    }
}
