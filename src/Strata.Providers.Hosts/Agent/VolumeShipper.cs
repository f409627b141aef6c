using System.IO.Pipelines;
using Renci.SshNet.Common;
using Strata.Api.Contracts.Agent;
using Strata.Providers.Hosts.Ssh;

namespace Strata.Providers.Hosts.Agent;

/// <summary>
/// Moves a volume's content between the control plane's machine and one host, as one tar stream. To the host: written
/// as a tar while SFTP streams it into the agent's upload folder (nothing is staged on the control plane's disk), then
/// the agent replaces the volume's content with it. From the host: the agent writes the archive into its upload
/// folder, and SFTP streams it here into a folder while it is extracted. Either way the archive on the host is
/// deleted, whether the transfer succeeded or failed, so nothing half-written stays there.
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
                await PipedAsync(
                    (tar, token) => VolumeContent.WriteAsync(sourceFolder, tar, token),
                    (tar, token) => sftp.UploadFileAsync(tar, remote, false, null, token), ct).ConfigureAwait(false);
            }
            catch
            {
                await SftpFiles.DeleteQuietlyAsync(sftp, remote).ConfigureAwait(false);
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

    /// <summary>
    /// Copies the volume's content on the host into the empty folder <paramref name="targetFolder"/> here.
    /// <paramref name="taken"/> is called once the agent has written the archive, before it is downloaded: the volume's
    /// application need not wait for the transfer. It is not to throw: what it throws fails the copy.
    /// </summary>
    /// <exception cref="ProviderException">The agent could not write the archive, or it could not be read or extracted here.</exception>
    public async Task ReceiveAsync(string volumeId, string targetFolder, Func<CancellationToken, Task>? taken, CancellationToken ct)
    {
        var fileName = $"volume-{volumeId}-{Guid.NewGuid():N}.out.tar";
        var remote = $"{uploadFolder}/{fileName}";
        try
        {
            // Connected before the archive is written, so that whatever happens next it can be deleted.
            using var sftp = await connector.ConnectSftpAsync(login, ct).ConfigureAwait(false);
            try
            {
                await requests.AskAsync<AgentDone>(id => new AgentPackVolume { Id = id, VolumeId = volumeId, FileName = fileName }, ct).ConfigureAwait(false);
                if (taken is not null)
                {
                    await taken(ct).ConfigureAwait(false);
                }

                await PipedAsync(
                    (tar, token) => sftp.DownloadFileAsync(remote, tar, token),
                    (tar, token) => VolumeContent.ExtractAsync(tar, targetFolder, token), ct).ConfigureAwait(false);
            }
            finally
            {
                await SftpFiles.DeleteQuietlyAsync(sftp, remote).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not (ProviderException or OperationCanceledException or OutOfMemoryException))
        {
            // A damaged or hostile archive fails in many ways (InvalidDataException, ArgumentOutOfRangeException…): each is this copy's failure.
            throw new ProviderException($"the content of volume {volumeId} could not be read from {login.Target}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Runs <paramref name="produce"/>, writing into a pipe, beside <paramref name="consume"/>, reading from it, so that
    /// nothing is staged on disk. When the consumer fails first, the producer is stopped and its own failure (a
    /// broken pipe) is not the one reported.
    /// </summary>
    private static async Task PipedAsync(Func<Stream, CancellationToken, Task> produce, Func<Stream, CancellationToken, Task> consume, CancellationToken ct)
    {
        var pipe = new Pipe();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var producing = ProduceAsync(produce, pipe.Writer, stop.Token);
        try
        {
            await using var reader = pipe.Reader.AsStream();
            await consume(reader, ct).ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await pipe.Reader.CompleteAsync().ConfigureAwait(false);
            await producing.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }

        await producing.ConfigureAwait(false);
    }

    private static async Task ProduceAsync(Func<Stream, CancellationToken, Task> produce, PipeWriter writer, CancellationToken ct)
    {
        await Task.Yield();
        Exception? failure = null;
        try
        {
            await using var stream = writer.AsStream(leaveOpen: true);
            await produce(stream, ct).ConfigureAwait(false);
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
}
