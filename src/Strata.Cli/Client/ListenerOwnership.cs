using System.Globalization;
using System.Net;
using Strata.Api.Contracts;
using Strata.Common.Processes;
using Strata.ControlPlane.Hosting;

namespace Strata.Cli.Client;

/// <summary>Raised instead of sending the token to a listener that is not the control plane <c>server.json</c> names.</summary>
public sealed class UntrustedListenerException(string message) : Exception(message);

/// <summary>
/// Decides whether the process listening at the control plane's address is the control plane: after a crash anyone
/// on the machine can bind its port, and the CLI must not hand its token to them. The listener is trusted only when
/// the pid in <c>server.json</c> is alive, runs as this user and holds every socket listening on that address and port
/// (<c>/proc/net/tcp</c>, <c>/proc/net/tcp6</c> and the pid's <c>/proc/PID/fd</c>).
/// </summary>
public static class ListenerOwnership
{
    private const string Listen = "0A";

    /// <summary>Null when the recorded control plane is gone (nothing to talk to); otherwise whether it may be trusted.</summary>
    public static bool? IsTrusted(ServerInfo info, out string reason)
    {
        var url = new Uri(info.Url);
        var address = IPAddress.Parse(url.Host.Trim('[', ']'));
        if (!IsAlive(info.Pid))
        {
            reason = $"pid {info.Pid} is not running";
            return null;
        }

        var owner = ProcessUid(info.Pid);
        var self = HomeFolder.GetEffectiveUserId();
        if (owner != self)
        {
            reason = $"the recorded control plane (pid {info.Pid}) runs as uid {owner}, not as you (uid {self})";
            return false;
        }

        var listeners = ListeningSockets(address, url.Port);
        if (listeners.Count == 0)
        {
            reason = $"nothing listens on {url.Authority}";
            return null;
        }

        var held = SocketsOf(info.Pid);
        var foreign = listeners.Where(l => !held.Contains(l.Inode)).ToList();
        reason = foreign.Count == 0 ? ""
            : $"a process other than the recorded control plane (pid {info.Pid}) listens on {url.Authority} (a socket of uid {foreign[0].Uid})";
        return foreign.Count == 0;
    }

    private static bool IsAlive(int pid) => ProcessStat.Read(pid) is { IsAlive: true };

    private static uint ProcessUid(int pid)
    {
        // "Uid:\treal\teffective\tsaved\tfilesystem"
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
    }

    private static HashSet<long> SocketsOf(int pid)
    {
        var inodes = new HashSet<long>();
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            var target = new FileInfo(fd).LinkTarget;
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                inodes.Add(long.Parse(target.AsSpan(8, target.Length - 9), CultureInfo.InvariantCulture));
            }
        }

        return inodes;
    }

    /// <summary>Every listening socket a connection to <paramref name="address"/>:<paramref name="port"/> may reach.</summary>
    private static List<(long Inode, uint Uid)> ListeningSockets(IPAddress address, int port)
    {
        var found = new List<(long, uint)>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }

            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var local = fields[1].Split(':');
                if (fields[3] == Listen && int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port
                    && Reaches(ParseAddress(local[0]), address))
                {
                    found.Add((long.Parse(fields[9], CultureInfo.InvariantCulture), uint.Parse(fields[7], CultureInfo.InvariantCulture)));
                }
            }
        }

        return found;
    }

    private static bool Reaches(IPAddress listening, IPAddress target) =>
        listening.Equals(target) || listening.Equals(IPAddress.Any) || listening.Equals(IPAddress.IPv6Any)
        || (listening.IsIPv4MappedToIPv6 && listening.MapToIPv4().Equals(target));

    /// <summary>The kernel prints each 32-bit word of the address in the machine's byte order.</summary>
    private static IPAddress ParseAddress(string hex)
    {
        var bytes = new byte[hex.Length / 2];
        for (var word = 0; word < hex.Length / 8; word++)
        {
            var value = uint.Parse(hex.AsSpan(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            BitConverter.GetBytes(value).CopyTo(bytes, word * 4);
        }

        return new IPAddress(bytes);
    }
}
