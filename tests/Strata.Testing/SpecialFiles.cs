using System.Diagnostics;
using System.Net.Sockets;

namespace Strata.Testing;

/// <summary>Pipes and sockets in a folder, as an application leaves them in its volume or its working folder.</summary>
public static class SpecialFiles
{
    /// <summary>Makes a named pipe (with mkfifo(1), which .NET does not wrap); opening it to read waits for a writer.</summary>
    public static void MakePipe(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { RedirectStandardError = true })!;
        mkfifo.WaitForExit();
        if (mkfifo.ExitCode != 0)
        {
            throw new InvalidOperationException($"mkfifo {path} failed: {mkfifo.StandardError.ReadToEnd()}");
        }
    }

    /// <summary>Binds a Unix socket at the path; the socket file stays after the socket is disposed.</summary>
    public static Socket MakeSocket(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }
}
