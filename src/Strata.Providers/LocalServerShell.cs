using System.Diagnostics;
using System.Text;

namespace Strata.Providers;

/// <summary>
/// Runs commands on this machine: the control plane's, for its own servers, and a host's, where its agent runs them.
/// Files handed to or taken from a command are used where they are.
/// </summary>
public sealed class LocalServerShell : IServerShell
{
    /// <summary>How much of a command's standard output is kept: enough for any answer a hook gives.</summary>
    public const int OutputLimit = 64 * 1024;

    /// <summary>How much of a command's output and error is kept to be quoted.</summary>
    public const int TextLimit = 4000;

    // Output still coming once the command exited comes from what it left running; it is not waited for longer.
    private static readonly TimeSpan s_drain = TimeSpan.FromSeconds(2);

    public async Task<ShellResult> RunAsync(ShellRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var process = Process.Start(StartInfo(request))
            ?? throw new ProviderException($"the command of server {request.ServerId} could not be started");
        var output = new Tail(OutputLimit);
        var text = new Tail(TextLimit);
        var pumps = Task.WhenAll(PumpAsync(process.StandardOutput, output, text), PumpAsync(process.StandardError, null, text));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(request.Timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            ct.ThrowIfCancellationRequested();
            timedOut = true;
        }

        await pumps.WaitAsync(s_drain, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        if (!pumps.IsCompleted)
        {
            // Something the command left running holds its output open: stop reading, so no pipe stays behind.
            process.StandardOutput.Close();
            process.StandardError.Close();
            _ = pumps.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        return new ShellResult(timedOut ? -1 : process.ExitCode, timedOut, output.ToString(), text.ToString().Trim());
    }

    private static ProcessStartInfo StartInfo(ShellRequest request)
    {
        var environment = ChildEnvironment.Inherit(ChildEnvironment.DefaultInherited);
        foreach (var (key, value) in request.Environment)
        {
            environment[key] = value;
        }

        foreach (var file in new[] { request.Input, request.Output }.OfType<ShellFile>())
        {
            environment[file.Variable] = file.LocalPath;
        }

        var start = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = Directory.Exists(request.WorkingDirectory) ? request.WorkingDirectory
                : throw new ProviderException($"server {request.ServerId} has no folder {request.WorkingDirectory} on this machine"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(request.Command);
        ChildEnvironment.Apply(start.Environment, environment);
        return start;
    }

    private static async Task PumpAsync(StreamReader reader, Tail? own, Tail both)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            own?.Append(line);
            both.Append(line);
        }
    }

    /// <summary>The last characters of a stream of lines, kept by whole lines where it can.</summary>
    private sealed class Tail(int limit)
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _gate = new();

        public void Append(string line)
        {
            lock (_gate)
            {
                _text.Append(line).Append('\n');
                if (_text.Length > limit)
                {
                    _text.Remove(0, _text.Length - limit);
                }
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }
    }
}
