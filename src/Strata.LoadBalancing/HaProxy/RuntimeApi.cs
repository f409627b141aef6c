using System.Net.Sockets;
using System.Text;

namespace Strata.LoadBalancing.HaProxy;

/// <summary>
/// One haproxy's Runtime API on its admin socket. Each command opens its own connection (non-interactive mode), so
/// a slow or failed command never leaves a half-read answer for the next one.
/// </summary>
internal sealed class RuntimeApi(string socketPath, TimeSpan timeout)
{
    public async Task<string> SendAsync(string command, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline.Token).ConfigureAwait(false);
        await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), SocketFlags.None, deadline.Token).ConfigureAwait(false);
        var answer = new StringBuilder();
        var buffer = new byte[16384];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false)) > 0)
        {
            answer.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return answer.ToString().Trim();
    }

    /// <summary>Sends a command whose answer is empty or a known success message; throws with HAProxy's message otherwise.</summary>
    public async Task ExecuteAsync(string command, CancellationToken ct, params string[] successPrefixes)
    {
        var answer = await SendAsync(command, ct).ConfigureAwait(false);
        if (answer.Length > 0 && !successPrefixes.Any(p => answer.StartsWith(p, StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"haproxy refused '{command}': {answer}");
        }
    }

    public async Task<bool> IsAnsweringAsync(CancellationToken ct)
    {
        try
        {
            return (await SendAsync("show info", ct).ConfigureAwait(false)).Contains("Name: HAProxy", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
