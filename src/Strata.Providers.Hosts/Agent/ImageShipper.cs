using System.Collections.Concurrent;
using Strata.Api.Contracts.Agent;
using Strata.Providers.Hosts.Ssh;
using Strata.Storage;

namespace Strata.Providers.Hosts.Agent;

/// <summary>
/// Gets images to one host content-addressed: before each launch the agent is asked which of the image's archives it
/// lacks, and only those are read from the control plane's store and sent over SFTP into the agent's upload folder
/// (the agent checks the digest before keeping it). Launches of one image at once share one transfer.
/// </summary>
internal sealed class ImageShipper(AgentRequests requests, SshConnector connector, SshLogin login, string uploadFolder, IObjectStore store)
{
    private readonly ConcurrentDictionary<string, Lazy<Task>> _transfers = new(StringComparer.Ordinal);
    private long _bytesSent;

    /// <summary>The bytes of image archives written over SFTP to this host so far.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <exception cref="ProviderException">The agent could not be asked, or the image could not be sent or kept.</exception>
    public async Task EnsureAsync(MachineImage image, CancellationToken ct)
    {
        var reply = await requests.AskAsync<AgentImagesReply>(id => new AgentMissingImages { Id = id, ImageIds = [image.Id] }, ct).ConfigureAwait(false);
        if (reply.Missing.Count == 0)
        {
            return;
        }

        var transfer = _transfers.GetOrAdd(image.Id, _ => new Lazy<Task>(() => SendAsync(image)));
        try
        {
            await transfer.Value.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            // Later launches ask the agent again, which has the image by then or lost it: never assume it is there.
            if (transfer.Value.IsCompleted)
            {
                _transfers.TryRemove(new KeyValuePair<string, Lazy<Task>>(image.Id, transfer));
            }
        }
    }

    // Shared by every launch waiting for the image, so one caller's cancellation must not abort it for the others.
    private async Task SendAsync(MachineImage image)
    {
        var ct = CancellationToken.None;
        var fileName = $"{image.Digest}-{Guid.NewGuid():N}.tar";
        try
        {
            using var sftp = await connector.ConnectSftpAsync(login, ct).ConfigureAwait(false);
            await using var archive = await store.OpenReadAsync(ImageArchives.KeyOf(image), ct).ConfigureAwait(false);
            var written = new BytesWritten();
            await sftp.UploadFileAsync(archive, $"{uploadFolder}/{fileName}", true, written, ct).ConfigureAwait(false);
            Interlocked.Add(ref _bytesSent, written.Total);
        }
        catch (Exception ex) when (ex is Renci.SshNet.Common.SshException or IOException or ObjectNotFoundException)
        {
            throw new ProviderException($"image {image.Id} could not be sent to {login.Target}: {ex.Message}", ex);
        }

        await requests.AskAsync<AgentDone>(id => new AgentImageUploaded { Id = id, ImageId = image.Id, FileName = fileName }, ct).ConfigureAwait(false);
    }

    /// <summary>Keeps SFTP's count of bytes written as it reports it (synchronously, unlike <see cref="Progress{T}"/>).</summary>
    private sealed class BytesWritten : IProgress<Renci.SshNet.UploadFileProgressReport>
    {
        private long _total;

        public long Total => Interlocked.Read(ref _total);

        public void Report(Renci.SshNet.UploadFileProgressReport value) => Interlocked.Exchange(ref _total, (long)value.TotalBytesUploaded);
    }
}
