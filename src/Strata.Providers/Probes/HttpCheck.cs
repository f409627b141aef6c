using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Strata.Providers.Probes;

/// <summary>
/// An HTTP health check that speaks just enough HTTP/1.1: one <c>GET</c> with <c>Connection: close</c>, the status
/// line parsed, whatever else has already arrived read and dropped, the connection closed. A control plane probes
/// every server every few seconds; HttpClient's pool, redirect and logging handlers cost several times the probe
/// itself at that rate. As with HAProxy's <c>httpchk</c>, a 2xx or 3xx status passes and redirects are not followed.
/// </summary>
public static class HttpCheck
{
    private const int StatusLineLimit = 4096;
    private const int DrainLimit = 64 * 1024;

    /// <summary>Probes on the calling thread, which it blocks for at most <paramref name="timeout"/>.</summary>
    /// <exception cref="SocketException">The connection failed, or timed out (<see cref="SocketError.TimedOut"/>).</exception>
    public static ProbeResult Probe(string host, int port, string path, TimeSpan timeout)
    {
        var deadline = DeadlineAfter(timeout);
        using var socket = Connect(host, port, deadline);
        socket.Send(Request(host, port, path));
        var buffer = ArrayPool<byte>.Shared.Rent(StatusLineLimit);
        try
        {
            var status = ReadStatus(socket, buffer, deadline);
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

    /// <summary>
    /// A blocking socket connected to the address by <paramref name="deadline"/> (a <see cref="Stopwatch"/>
    /// timestamp): on Linux the send timeout bounds a blocking connect. It is never made non-blocking: .NET then waits
    /// for every later call through its event loop and the thread pool, which is what this avoids.
    /// </summary>
    public static Socket Connect(string host, int port, long deadline)
    {
        var address = IPAddress.TryParse(host, out var parsed) ? parsed : Dns.GetHostAddresses(host)[0];
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.SendTimeout = socket.ReceiveTimeout = Remaining(deadline);
            socket.Connect(address, port);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The <see cref="Stopwatch"/> timestamp <paramref name="timeout"/> from now, as <see cref="Connect"/> takes it.</summary>
    public static long DeadlineAfter(TimeSpan timeout) => Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Milliseconds left until the deadline, at least one (zero would mean no timeout at all).</summary>
    private static int Remaining(long deadline) =>
        (int)Math.Clamp((deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency, 1, int.MaxValue);

    private static byte[] Request(string host, int port, string path)
    {
        var authority = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
        return Encoding.UTF8.GetBytes(
            $"GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: strata-health\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    }

    /// <summary>Reads until the first line is complete; null when the peer closes first or the line is not a status line.</summary>
    private static int? ReadStatus(Socket socket, byte[] buffer, long deadline)
    {
        var filled = 0;
        while (filled < StatusLineLimit)
        {
            socket.ReceiveTimeout = Remaining(deadline);
            var read = socket.Receive(buffer, filled, StatusLineLimit - filled, SocketFlags.None);
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
