using System.Net.Sockets;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Strata.Providers.Hosts.Ssh;

/// <summary>Where to log in and with which key.</summary>
/// <param name="IdentityFile">An unencrypted private key in OpenSSH or PEM format.</param>
public sealed record SshLogin(SshTarget Target, string IdentityFile);

/// <summary>Opens SSH connections to hosts, checking their keys against Strata's <see cref="KnownHosts"/>.</summary>
internal sealed class SshConnector(KnownHosts knownHosts, TimeSpan connectTimeout)
{
    /// <summary>Connects and logs in; a new host key is trusted (and recorded) only when <paramref name="acceptNewHostKey"/>.</summary>
    /// <exception cref="HostConnectException">The key, the identity or the address did not do.</exception>
    public async Task<SshClient> ConnectAsync(SshLogin login, bool acceptNewHostKey, CancellationToken ct)
    {
        var info = ConnectionInfoFor(login);
        var check = new HostKeyCheck(knownHosts, login.Target.KnownHostsName, acceptNewHostKey);
        var client = new SshClient(info);
        client.HostKeyReceived += check.OnHostKeyReceived;
        try
        {
            await client.ConnectAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SshException or SocketException or TimeoutException or IOException)
        {
            client.Dispose();
            throw Translate(ex, login, check);
        }

        check.RecordIfNew();
        return client;
    }

    /// <summary>An SFTP session on the same terms; the host key is recorded by then, so no new key is trusted.</summary>
    public async Task<SftpClient> ConnectSftpAsync(SshLogin login, CancellationToken ct)
    {
        var check = new HostKeyCheck(knownHosts, login.Target.KnownHostsName, acceptNew: false);
        var client = new SftpClient(ConnectionInfoFor(login));
        client.HostKeyReceived += check.OnHostKeyReceived;
        try
        {
            await client.ConnectAsync(ct).ConfigureAwait(false);
            return client;
        }
        catch (Exception ex) when (ex is SshException or SocketException or TimeoutException or IOException)
        {
            client.Dispose();
            throw Translate(ex, login, check);
        }
    }

    private ConnectionInfo ConnectionInfoFor(SshLogin login)
    {
        PrivateKeyFile key;
        try
        {
            key = new PrivateKeyFile(login.IdentityFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SshException or ArgumentException or FormatException)
        {
            throw new HostConnectException(HostConnectFailure.IdentityUnusable,
                $"cannot use the identity {login.IdentityFile}: {ex.Message}. Give an unencrypted private key with --identity FILE", ex);
        }

        var target = login.Target;
        return new ConnectionInfo(target.Address, target.Port, target.User, new PrivateKeyAuthenticationMethod(target.User, key))
        {
            Timeout = connectTimeout,
        };
    }

    private static HostConnectException Translate(Exception ex, SshLogin login, HostKeyCheck check)
    {
        if (check.Refused(out var refusal))
        {
            return refusal!;
        }

        var target = login.Target;
        return ex switch
        {
            SshAuthenticationException => new HostConnectException(HostConnectFailure.AuthenticationFailed,
                $"{target} refused the identity {login.IdentityFile}: add its public key to ~{target.User}/.ssh/authorized_keys on the host, "
                + "or give the right key with --identity FILE", ex),

            // Logged in, but sshd runs no SFTP, over which the agent is installed and images and volumes are sent.
            SshException when ex.Message.Contains("Subsystem 'sftp'", StringComparison.Ordinal) => new HostConnectException(HostConnectFailure.Unreachable,
                $"sshd at {target.Address}:{target.Port} let {target.User} in but runs no SFTP ({ex.Message.TrimEnd('.')}), which installing the agent "
                + "needs: add `Subsystem sftp internal-sftp` to its sshd_config and reload sshd", ex),
            _ => new HostConnectException(HostConnectFailure.Unreachable,
                $"cannot reach sshd at {target.Address}:{target.Port}: {ex.Message.TrimEnd('.')}. Check the address and port, and that sshd runs there "
                + "and lets this machine in", ex),
        };
    }
}
