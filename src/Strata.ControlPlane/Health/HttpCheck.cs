using System.Buffers;
using System.Net.Sockets;
using System.Text;

namespace Strata.ControlPlane.Health;

/// <summary>
/// An HTTP health check that speaks just enough HTTP/1.1: one <c>GET</c> with <c>Connection: close</c>, the status
/// line parsed, whatever else has already arrived read and dropped, the connection closed. A control plane probes
/// every server every few seconds; HttpClient's pool, redirect and logging handlers cost several times the probe
/// itself at that rate. As with HAProxy's <c>httpchk</c>, a 2xx or 3xx status passes and redirects are not followed.
/// </summary>
internal static class HttpCheck
{
    private const int StatusLineLimit = 4096;
    private const int DrainLimit = 64 * 1024;

    public static async Task<ProbeResult> ProbeAsync(string host, int port, string path, CancellationToken ct)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(host, port, ct).ConfigureAwait(false);
        await socket.SendAsync(Request(host, port, path), SocketFlags.None, ct).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(StatusLineLimit);
        try
        {
            var status = await ReadStatusAsync(socket, buffer, ct).ConfigureAwait(false);
            Drain(socket, buffer);
            return status switch
            {
                null => ProbeResult.Fail($"GET {path} did not answer with an HTTP status line"),
                >= 200 and < 400 => ProbeResult.Pass,
                _ => ProbeResult.Fail($"GET {path} answered {status}"),
            };
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] Request(string host, int port, string path)
    {
        var authority = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
        return Encoding.UTF8.GetBytes(
            $"GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: strata-health\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    }

    /// <summary>Reads until the first line is complete; null when the peer closes first or the line is not a status line.</summary>
    private static async Task<int?> ReadStatusAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        var filled = 0;
        while (filled < StatusLineLimit)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled, StatusLineLimit - filled), SocketFlags.None, ct).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
            if (buffer.AsSpan(0, filled).IndexOf("\r\n"u8) is var end and >= 0)
            {
                return ParseStatus(buffer.AsSpan(0, end));
            }
        }

        return null;
    }

    /// <summary>"HTTP/1.1 200 OK" → 200.</summary>
    internal static int? ParseStatus(ReadOnlySpan<byte> line)
    {
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[8] != (byte)' ' || (line.Length > 12 && line[12] != (byte)' '))
        {
            return null;
        }

        var code = 0;
        foreach (var digit in line.Slice(9, 3))
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return null;
            }

            code = (code * 10) + (digit - '0');
        }

        return code;
    }

    /// <summary>
    /// Reads what has already arrived without waiting for more, so that a short answer is consumed whole and the close
    /// is an orderly one; a server that keeps sending after that sees the connection reset, as it would from a client
    /// that went away.
    /// </summary>
    private static void Drain(Socket socket, byte[] buffer)
    {
        for (var drained = 0; drained < DrainLimit && socket.Available > 0;)
        {
            var read = socket.Receive(buffer, SocketFlags.None);
            if (read == 0)
            {
                return;
            }

            drained += read;
        }
    }
}
