using System.IO.Pipelines;
using Renci.SshNet.Common;
using Strata.Api.Contracts.Agent;
using Strata.Providers.Hosts.Ssh;

namespace Strata.Providers.Hosts.Agent;

/// <summary>
/// Sends a volume's content from the control plane's machine to one host: written as a tar while SFTP streams it into
/// the agent's upload folder (nothing is staged on the control plane's disk), then the agent replaces the volume's
/// content with it. An upload that fails is deleted, so nothing half-written stays on the host.
/// </summary>
internal sealed class VolumeShipper(AgentRequests requests, SshConnector connector, SshLogin login, string uploadFolder)
{
    /// <exception cref="ProviderException">The content could not be sent or the agent could not put it in place; the volume on the host is left as it was.</exception>
    public async Task SendAsync(string volumeId, string sourceFolder, CancellationToken ct)
    {
        var fileName = $"volume-{volumeId}-{Guid.NewGuid():N}.tar";
        var remote = $"{uploadFolder}/{fileName}";
        try
        {
            using var sftp = await connector.ConnectSftpAsync(login, ct).ConfigureAwait(false);
            try
            {
                await UploadAsync(sftp, sourceFolder, remote, ct).ConfigureAwait(false);
            }
            catch
            {
                await DeleteQuietlyAsync(sftp, remote).ConfigureAwait(false);
                throw;
            }
        }
        catch (Exception ex) when (ex is SshException or IOException or HostConnectException or UnauthorizedAccessException or InvalidOperationException)
        {
            // Reading the volume here (a file it may not read, a link tar cannot carry) fails the move as sending does.
            throw new ProviderException($"the content of volume {volumeId} could not be sent to {login.Target}: {ex.Message}", ex);
        }

        await requests.AskAsync<AgentDone>(id => new AgentFillVolume { Id = id, VolumeId = volumeId, FileName = fileName }, ct).ConfigureAwait(false);
    }

    private static async Task UploadAsync(Renci.SshNet.SftpClient sftp, string sourceFolder, string remote, CancellationToken ct)
    {
        var pipe = new Pipe();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writing = WriteAsync(sourceFolder, pipe.Writer, stop.Token);
        try
        {
            await using var reader = pipe.Reader.AsStream();
            await sftp.UploadFileAsync(reader, remote, false, null, ct).ConfigureAwait(false);
        }
        catch
        {
            // The upload ended first: the writer must stop reading the volume, and what it says is not the failure.
            await stop.CancelAsync().ConfigureAwait(false);
            await pipe.Reader.CompleteAsync().ConfigureAwait(false);
            await writing.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }

        await writing.ConfigureAwait(false);
    }

    private static async Task WriteAsync(string sourceFolder, PipeWriter writer, CancellationToken ct)
    {
        await Task.Yield();
        Exception? failure = null;
        try
        {
            await using var stream = writer.AsStream(leaveOpen: true);
            await VolumeContent.WriteAsync(sourceFolder, stream, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            failure = ex;
            throw;
        }
        finally
        {
            await writer.CompleteAsync(failure).ConfigureAwait(false);
        }
    }

    private static async Task DeleteQuietlyAsync(Renci.SshNet.SftpClient sftp, string remote)
    {
        try
        {
            if (sftp.IsConnected && await sftp.ExistsAsync(remote).ConfigureAwait(false))
            {
                await sftp.DeleteFileAsync(remote, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SshException or IOException)
        {
            // The connection is gone: uploads left over are deleted when the host is connected again.
        }
    }
}
