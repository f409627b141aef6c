using Renci.SshNet;
using Renci.SshNet.Common;

namespace Strata.Providers.Hosts.Ssh;

/// <summary>File chores over SFTP that every transfer to or from a host shares.</summary>
internal static class SftpFiles
{
    /// <summary>
    /// Deletes a file a transfer left (what a failed upload wrote, an archive read), so that nothing half-written fills
    /// the host's disk; true when it was there and is gone. A connection that is gone deletes nothing: uploads left over
    /// are deleted when the host is connected again.
    /// </summary>
    public static async Task<bool> DeleteQuietlyAsync(SftpClient? sftp, string path)
    {
        try
        {
            if (sftp is { IsConnected: true } && await sftp.ExistsAsync(path).ConfigureAwait(false))
            {
                await sftp.DeleteFileAsync(path, CancellationToken.None).ConfigureAwait(false);
                return true;
            }
        }
        catch (Exception ex) when (ex is SshException or IOException)
        {
        }

        return false;
    }
}
