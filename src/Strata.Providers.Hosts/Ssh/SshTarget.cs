using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Strata.Providers.Hosts.Ssh;

/// <summary>Where a host's sshd listens and whom to log in as: <c>USER@ADDRESS[:PORT]</c>.</summary>
public sealed record SshTarget
{
    /// <summary>The port sshd listens on when the target names none.</summary>
    public const int DefaultPort = 22;

    public required string User { get; init; }

    /// <summary>An IP address or a DNS name.</summary>
    public required string Address { get; init; }

    public int Port { get; init; } = DefaultPort;

    /// <summary>
    /// How <c>known_hosts</c> names this endpoint: the bare address on port 22, <c>[ADDRESS]:PORT</c> on any other, as
    /// OpenSSH writes it.
    /// </summary>
    public string KnownHostsName => Port == DefaultPort ? Address : string.Create(CultureInfo.InvariantCulture, $"[{Address}]:{Port}");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{User}@{Address}:{Port}");

    /// <summary>Parses <c>USER@ADDRESS[:PORT]</c> (an IPv6 address in brackets: <c>USER@[::1]:2222</c>).</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out SshTarget? target, [NotNullWhen(false)] out string? error)
    {
        target = null;
        var at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1)
        {
            error = $"'{text}' is not USER@ADDRESS[:PORT] (e.g. deploy@203.0.113.7 or deploy@host.example.com:2222)";
            return false;
        }

        var user = text[..at];
        if (!user.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            error = $"'{user}' is not a user name: use letters, digits, '.', '_' or '-'";
            return false;
        }

        if (!TrySplitPort(text[(at + 1)..], out var address, out var port, out error))
        {
            return false;
        }

        target = new SshTarget { User = user, Address = address, Port = port };
        return true;
    }

    private static bool TrySplitPort(string endpoint, out string address, out int port, [NotNullWhen(false)] out string? error)
    {
        port = DefaultPort;
        address = endpoint;
        string? portText = null;
        if (endpoint.StartsWith('['))
        {
            var close = endpoint.IndexOf(']', StringComparison.Ordinal);
            address = close > 0 ? endpoint[1..close] : "";
            portText = close > 0 && close + 1 < endpoint.Length && endpoint[close + 1] == ':' ? endpoint[(close + 2)..] : null;
        }
        else if (endpoint.LastIndexOf(':') is var colon and > 0 && endpoint.IndexOf(':') == colon)
        {
            address = endpoint[..colon];
            portText = endpoint[(colon + 1)..];
        }

        if (portText is not null && !(int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535))
        {
            error = $"'{portText}' is not a port: give 1 to 65535";
            return false;
        }

        var valid = IPAddress.TryParse(address, out _) || Uri.CheckHostName(address) == UriHostNameType.Dns;
        error = valid ? null : $"'{address}' is not an IP address or a host name";
        return valid;
    }
}
