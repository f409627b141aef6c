using System.Net.Sockets;

namespace Strata.Providers.Probes;

/// <summary>What a socket probe checks: an HTTP answer, or only that a connection is accepted.</summary>
public enum SocketProbeKind { Http, Tcp }

/// <summary>
/// One http or tcp health probe on the calling thread, which it blocks until the answer or the timeout (see
/// <see cref="HttpCheck"/> for why blocking): what the control plane runs for a server on its own machine, and what an
/// agent runs for the servers of its host.
/// </summary>
public static class SocketProbe
{
    /// <summary>Probes <paramref name="address"/>:<paramref name="port"/>; a failure to connect or answer is a failed result, never an exception.</summary>
    public static ProbeResult Probe(SocketProbeKind kind, string address, int port, string path, TimeSpan timeout)
    {
        try
        {
            if (kind == SocketProbeKind.Http)
            {
                return HttpCheck.Probe(address, port, path, timeout);
            }

            using var socket = HttpCheck.Connect(address, port, HttpCheck.DeadlineAfter(timeout));
            return ProbeResult.Pass;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return TimedOut(timeout);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return ProbeResult.Fail(ex.Message);
        }
    }

    /// <summary>The result of a probe that ran out of <paramref name="timeout"/>.</summary>
    public static ProbeResult TimedOut(TimeSpan timeout) => ProbeResult.Fail($"timed out after {timeout.TotalMilliseconds:0} ms") with { TimedOut = true };
}
