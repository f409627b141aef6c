using System.Diagnostics;
using Strata.Common.Processes;
using Strata.ControlPlane.Hosting;
using Strata.Providers;

namespace Strata.Cli.Client;

/// <summary>Finds the running control plane, or starts one in the background (detached, logging to the home folder).</summary>
public static class ControlPlaneLauncher
{
    /// <summary>How long a starting control plane may take to answer: 30 seconds.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The running control plane. When none answers but the home has state (it was killed, or the machine rebooted),
    /// starts it as <c>up</c> does, on the address it last listened on, so that every command works after a crash.
    /// Null after telling the user, when the home has no state (exit with <see cref="ExitCodes.ControlPlaneUnavailable"/>).
    /// </summary>
    public static async Task<ControlPlaneClient?> RequireAsync(CliContext context, CancellationToken ct)
    {
        if (await ControlPlaneClient.ConnectAsync(context.Paths, ct).ConfigureAwait(false) is { } running)
        {
            return running;
        }

        if (!File.Exists(context.Paths.StateDatabase))
        {
            await context.Error.WriteLineAsync($"strata: no control plane is running for {context.Paths.Root}, and none has run there yet (`strata up` starts one)").ConfigureAwait(false);
            return null;
        }

        return await EnsureRunningAsync(context, null, ct).ConfigureAwait(false);
    }

    /// <summary>The running control plane, or one started now; <paramref name="listen"/> defaults to the address the home's control plane last listened on.</summary>
    public static async Task<ControlPlaneClient> EnsureRunningAsync(CliContext context, string? listen, CancellationToken ct)
    {
        if (await ControlPlaneClient.ConnectAsync(context.Paths, ct).ConfigureAwait(false) is { } running)
        {
            return running;
        }

        // What the control plane would refuse to start with is said here, not left in its log.
        _ = context.ControlPlaneOptions(listen);
        context.Paths.EnsureExists();
        var pid = Start(context.Paths, listen ?? ListenRecord.TryRead(context.Paths));
        await context.Error.WriteLineAsync($"strata: started the control plane in the background (pid {pid}; log {context.Paths.ServerLog})").ConfigureAwait(false);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await ControlPlaneClient.ConnectAsync(context.Paths, ct).ConfigureAwait(false) is { } client)
            {
                return client;
            }

            if (!IsAlive(pid))
            {
                break;
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        // Another command may have started it at the same moment: this one's server then gave way to that one.
        return await ControlPlaneClient.ConnectAsync(context.Paths, ct).ConfigureAwait(false)
            ?? throw new ControlPlaneException(System.Net.HttpStatusCode.ServiceUnavailable, $"the control plane did not start; see {context.Paths.ServerLog}", null);
    }

    /// <summary>What the control plane reads from its environment besides the basics every child gets.</summary>
    private static readonly string[] s_controlPlaneVariables = ["DOTNET_ROOT", ControlPlaneOptions.LocalAddressesVariable];

    private static int Start(StrataPaths paths, string? listen)
    {
        var self = CliContext.SelfCommand();
        var arguments = string.Join(' ', self.Select(Quote)) + " server" + (listen is null ? "" : " --listen " + Quote(listen));
        // setsid detaches the server from this terminal's session so it outlives the CLI; the shell appends its output to the log.
        var start = new ProcessStartInfo("setsid")
        {
            ArgumentList = { "/bin/sh", "-c", $"exec {arguments} </dev/null >>{Quote(paths.ServerLog)} 2>&1" },
            UseShellExecute = false,
        };
        // An explicit environment: the CLI's STRATA_PARAM_* values and anything else of the user's shell stay out of the
        // control plane, and so out of every server, hook and load balancer it starts.
        ChildEnvironment.Apply(start.Environment, ChildEnvironment.Inherit([.. ChildEnvironment.DefaultInherited, .. s_controlPlaneVariables]));
        start.Environment["STRATA_HOME"] = paths.Root;
        ServerRuntimeSettings.ApplyTo(start.Environment);
        using var process = Process.Start(start) ?? throw new IOException("could not start the control plane");
        return process.Id;
    }

    private static bool IsAlive(int pid) => ProcessStat.Read(pid) is { IsAlive: true };

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
