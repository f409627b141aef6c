using System.Diagnostics;
using System.Globalization;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// Starts a python backend that binds a port of its own choosing on its address and prints it once it listens. It is
/// never made a member before it can take a connection, and no port is found free, released, and taken by another
/// meanwhile. The script takes the address as its first argument and must print the port, flushed, after binding, and nothing more.
/// </summary>
internal static class PythonBackend
{
    private static readonly TimeSpan s_listenWait = TimeSpan.FromSeconds(30);

    public static (Process Process, int Port) Start(string script, string address, params string[] arguments)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-c", script, address, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        var error = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (error) { error.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        var listening = process.StandardOutput.ReadLineAsync();
        if (listening.Wait(s_listenWait) && int.TryParse(listening.Result, CultureInfo.InvariantCulture, out var port))
        {
            return (process, port);
        }

        process.Kill();
        process.WaitForExit();
        lock (error)
        {
            throw new InvalidOperationException($"the python backend did not start listening on {address}: {error}");
        }
    }
}
