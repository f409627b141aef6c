using System.Net;
using System.Net.Sockets;

namespace Strata.Testing;

/// <summary>Finds free loopback ports for processes that must be told their port up front.</summary>
public static class LoopbackPorts
{
    public static int GetFree(string address = "127.0.0.1")
    {
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
