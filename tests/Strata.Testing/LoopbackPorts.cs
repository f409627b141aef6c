using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Strata.Testing;

/// <summary>A loopback address and port, e.g. <c>127.23.0.7:41234</c>.</summary>
public readonly record struct LoopbackEndpoint(string Address, int Port)
{
    /// <summary>The endpoint as an http URL, e.g. <c>http://127.23.0.7:41234</c>.</summary>
    public string Url => $"http://{this}";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Address}:{Port}");
}

/// <summary>
/// Free loopback ports for processes that must be told their port up front. A port found free and released can be
/// taken by anyone before it is used, so <see cref="Reserve"/> finds it on an address that is this process's alone:
/// the next address of a loopback block held by this process (<see cref="LoopbackBlocks"/>), which no other test
/// binds. A port that is never bound stays closed for the same reason.
/// </summary>
public static class LoopbackPorts
{
    // Held for the life of the test process: ports handed out may be bound by children until the very end.
    private static readonly Lazy<LoopbackBlock> s_block = new(LoopbackBlocks.Acquire);
    private static int s_next;

    /// <summary>A free port on a loopback address that no other test uses.</summary>
    public static LoopbackEndpoint Reserve()
    {
        var address = NextAddress();
        return new LoopbackEndpoint(address, GetFree(address));
    }

    /// <summary>A free port on <paramref name="address"/>, for an address the caller already owns.</summary>
    public static int GetFree(string address)
    {
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string NextAddress()
    {
        var n = Interlocked.Increment(ref s_next);
        if (n > 254 * 256)
        {
            throw new InvalidOperationException("this test process used every address of its loopback block");
        }

        return string.Create(CultureInfo.InvariantCulture, $"127.{s_block.Value.Octet}.{(n - 1) / 254}.{((n - 1) % 254) + 1}");
    }
}
