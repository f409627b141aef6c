using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>What one <c>wrk --latency</c> run reported.</summary>
/// <param name="Requests">Completed requests, whatever their status.</param>
/// <param name="NonSuccessResponses">Responses outside 2xx/3xx ("Non-2xx or 3xx responses").</param>
public sealed record LoadReport(
    long Requests,
    long NonSuccessResponses,
    long ConnectErrors,
    long ReadErrors,
    long WriteErrors,
    long TimeoutErrors,
    double RequestsPerSecond,
    string Output)
{
    public long SocketErrors => ConnectErrors + ReadErrors + WriteErrors + TimeoutErrors;

    /// <summary>Requests a client would have seen fail: error statuses and broken or timed-out connections.</summary>
    public long Failed => NonSuccessResponses + SocketErrors;

    public override string ToString() =>
        $"{Requests} requests ({RequestsPerSecond:0} req/s), {NonSuccessResponses} non-2xx/3xx, socket errors connect {ConnectErrors} read {ReadErrors} write {WriteErrors} timeout {TimeoutErrors}\n{Output}";
}

/// <summary>
/// Runs the real <c>wrk</c> against a URL for a bounded time and parses its report. A run can be ended early with
/// <see cref="StopAsync"/>: wrk stops on SIGINT and still prints its report, so a load can span an operation whose
/// length is not known in advance.
/// </summary>
public sealed partial class LoadGenerator : IAsyncDisposable
{
    /// <summary>How long after its nominal end a wrk run may take to print its report before it counts as hung.</summary>
    private static readonly TimeSpan s_reportGrace = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;
    private readonly TimeSpan _duration;
    private readonly TemporaryDirectory? _script;

    private LoadGenerator(Process process, TimeSpan duration, TemporaryDirectory? script)
    {
        _process = process;
        _duration = duration;
        _script = script;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The longest run allowed: tests that stop the load themselves ask for it, so it never ends first.</summary>
    public static TimeSpan LongestRun { get; } = TimeSpan.FromMinutes(2);

    /// <summary>Starts <c>wrk -t{threads} -c{connections} -d{duration} --latency</c> against <paramref name="url"/>.</summary>
    /// <param name="requestTimeout">A request slower than this counts as a timeout error; wrk's own default is 2 s,
    /// which a busy two-core machine can exceed without anything being wrong.</param>
    /// <param name="pause">How long each connection waits before each request (wrk's <c>delay()</c> hook), which caps
    /// its rate at one request per pause: a light load that a request-rate rule sees as low. None by default: each
    /// connection sends its next request as soon as the last is answered.</param>
    public static LoadGenerator Start(
        string url, TimeSpan duration, int connections = 8, int threads = 2, TimeSpan? requestTimeout = null, TimeSpan? pause = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(duration, LongestRun);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(connections, 64);
        var script = pause is { } wait ? PauseScript(wait) : null;
        var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] args =
        [
            $"-t{Math.Min(threads, connections)}", $"-c{connections}", $"-d{(int)Math.Ceiling(duration.TotalSeconds)}s",
            "--timeout", $"{(int)Math.Ceiling((requestTimeout ?? TimeSpan.FromSeconds(5)).TotalSeconds)}s", "--latency",
            .. script is null ? Array.Empty<string>() : ["--script", script.Combine("pause.lua")], url,
        ];
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new LoadGenerator(Process.Start(start)!, duration, script);
    }

    private static TemporaryDirectory PauseScript(TimeSpan pause)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pause, TimeSpan.FromMilliseconds(1));
        var folder = new TemporaryDirectory("strata-wrk");
        folder.WriteFile("pause.lua", string.Create(CultureInfo.InvariantCulture, $"function delay()\n  return {(int)pause.TotalMilliseconds}\nend\n"));
        return folder;
    }

    /// <summary>Waits for the run to end by itself and parses its report.</summary>
    public async Task<LoadReport> WaitAsync()
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(_duration + s_reportGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"wrk did not finish within {_duration + s_reportGrace}");
        }

        var output = await _stdout.ConfigureAwait(false);
        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk exited {_process.ExitCode}: {await _stderr.ConfigureAwait(false)}\n{output}");
        }

        return Parse(output);
    }

    /// <summary>Ends the run now (SIGINT, on which wrk prints its report as at a normal end) and parses the report.</summary>
    public async Task<LoadReport> StopAsync()
    {
        if (!_process.HasExited)
        {
            using var signal = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-INT", _process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
            await signal.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }

        return await WaitAsync().ConfigureAwait(false);
    }

    /// <summary>Parses wrk's report; the error lines appear only when their counts are not zero.</summary>
    public static LoadReport Parse(string output)
    {
        var requests = RequestsLine().Match(output);
        var rate = RateLine().Match(output);
        if (!requests.Success || !rate.Success)
        {
            throw new FormatException($"not a wrk report:\n{output}");
        }

        var socket = SocketErrorsLine().Match(output);
        var nonSuccess = NonSuccessLine().Match(output);
        long Count(Match match, int group) => match.Success ? long.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
        return new LoadReport(
            Count(requests, 1),
            Count(nonSuccess, 1),
            Count(socket, 1),
            Count(socket, 2),
            Count(socket, 3),
            Count(socket, 4),
            double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture),
            output);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }

        _process.Dispose();
        _script?.Dispose();
    }

    [GeneratedRegex(@"^\s*(\d+) requests in ", RegexOptions.Multiline)]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"^Requests/sec:\s+([\d.]+)", RegexOptions.Multiline)]
    private static partial Regex RateLine();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrorsLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex NonSuccessLine();
}
