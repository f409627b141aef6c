using System.Collections.Concurrent;
using Renci.SshNet;
using Renci.SshNet.Common;
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

    // Images the agent had, or was sent, over this connection: a launch of one needs room only for the server's copy.
    private readonly ConcurrentDictionary<string, bool> _present = new(StringComparer.Ordinal);
    private long _bytesSent;

    /// <summary>The bytes of image archives written over SFTP to this host so far.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Whether the host had the image, or was sent it, over this connection (it may have been deleted since).</summary>
    public bool Has(string imageId) => _present.ContainsKey(imageId);

    /// <summary>
    /// What a first launch of an image takes on the host's disk, in archives: the upload and the copy the agent keeps
    /// of it, then its extracted tree and the server's own copy (the upload is deleted before extraction).
    /// </summary>
    internal const int FirstLaunchArchives = 3;

    /// <exception cref="ProviderException">
    /// The agent could not be asked, the host's disk has no room for the image (nothing is sent), or the image could
    /// not be sent (what was written is deleted) or kept.
    /// </exception>
    public async Task EnsureAsync(MachineImage image, CancellationToken ct)
    {
        var reply = await AskAsync(image, ct).ConfigureAwait(false);
        if (reply.Missing.Count == 0)
        {
            _present[image.Id] = true;
            return;
        }

        if (reply.DiskFreeBytes is { } free && await SizeOfAsync(image, ct).ConfigureAwait(false) is var size && free < Needed(size))
        {
            throw new ProviderException(NoRoom(image, size, free, "nothing was sent"));
        }

        var transfer = _transfers.GetOrAdd(image.Id, _ => new Lazy<Task>(() => SendAsync(image)));
        try
        {
            await transfer.Value.WaitAsync(ct).ConfigureAwait(false);
            _present[image.Id] = true;
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

    private Task<AgentImagesReply> AskAsync(MachineImage image, CancellationToken ct) =>
        requests.AskAsync<AgentImagesReply>(id => new AgentMissingImages { Id = id, ImageIds = [image.Id] }, ct);

    // Shared by every launch waiting for the image, so one caller's cancellation must not abort it for the others.
    private async Task SendAsync(MachineImage image)
    {
        var ct = CancellationToken.None;
        var fileName = $"{image.Digest}-{Guid.NewGuid():N}.tar";
        SftpClient? sftp = null;
        var written = new BytesWritten();
        try
        {
            sftp = await connector.ConnectSftpAsync(login, ct).ConfigureAwait(false);
            await using var archive = await store.OpenReadAsync(ImageArchives.KeyOf(image), ct).ConfigureAwait(false);
            await sftp.UploadFileAsync(archive, $"{uploadFolder}/{fileName}", true, written, ct).ConfigureAwait(false);
            Interlocked.Add(ref _bytesSent, written.Total);
        }
        catch (Exception ex) when (ex is SshException or IOException or ObjectNotFoundException)
        {
            throw new ProviderException(await WhyNotSentAsync(image, sftp, $"{uploadFolder}/{fileName}", written.Total, ex).ConfigureAwait(false), ex);
        }
        finally
        {
            sftp?.Dispose();
        }

        await requests.AskAsync<AgentDone>(id => new AgentImageUploaded { Id = id, ImageId = image.Id, FileName = fileName }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Says why an upload failed and deletes what it wrote, so that nothing half-written fills the host's disk. SFTP
    /// reports a full disk only as <c>Failure</c>, so the agent is asked first whether the rest of the image had room.
    /// </summary>
    private async Task<string> WhyNotSentAsync(MachineImage image, SftpClient? sftp, string path, long written, Exception ex)
    {
        long? free = null;
        try
        {
            free = (await AskAsync(image, CancellationToken.None).ConfigureAwait(false)).DiskFreeBytes;
        }
        catch (ProviderException)
        {
            // The agent cannot be asked either: the SFTP error is all there is to say.
        }

        var deleted = await SftpFiles.DeleteQuietlyAsync(sftp, path).ConfigureAwait(false) ? "; what was written is deleted" : "";

        var size = await SizeOfAsync(image, CancellationToken.None).ConfigureAwait(false);
        return free is { } left && left < size - written
            ? NoRoom(image, size, left + written, $"the upload filled it ({ex.Message}){deleted}")
            : $"image {image.Id} could not be sent to {login.Target}: {ex.Message}{deleted}";
    }

    /// <summary>The archive's size in the store: an image taken from the state after a restart does not carry it.</summary>
    private async Task<long> SizeOfAsync(MachineImage image, CancellationToken ct)
    {
        var key = ImageArchives.KeyOf(image);
        try
        {
            await foreach (var stored in store.ListAsync(key, ct).ConfigureAwait(false))
            {
                if (stored.Key == key)
                {
                    return stored.Size;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectStoreUnavailableException or ObjectStoreAccessDeniedException)
        {
            // The store cannot say: the transfer itself will tell whether the archive is there.
        }

        return image.SizeBytes;
    }

    /// <summary>What a first launch of an image of <paramref name="archiveBytes"/> takes on a host that lacks it.</summary>
    internal static long Needed(long archiveBytes) => archiveBytes * FirstLaunchArchives;

    private string NoRoom(MachineImage image, long archiveBytes, long free, string what) =>
        $"the disk of {login.Target} is too full for image {image.Id}: {ServerResources.FormatBytes(free)} free where its agent keeps images and servers "
        + $"({Path.GetDirectoryName(uploadFolder)}), and a first launch of the image ({ServerResources.FormatBytes(archiveBytes)}) needs about "
        + $"{ServerResources.FormatBytes(Needed(archiveBytes))} (the upload, the copy the agent keeps, the extracted image and the server's copy); {what}. "
        + "Free space on the host, or drain it";

    /// <summary>Keeps SFTP's count of bytes written as it reports it (synchronously, unlike <see cref="Progress{T}"/>).</summary>
    private sealed class BytesWritten : IProgress<Renci.SshNet.UploadFileProgressReport>
    {
        private long _total;

        public long Total => Interlocked.Read(ref _total);

        public void Report(Renci.SshNet.UploadFileProgressReport value) => Interlocked.Exchange(ref _total, (long)value.TotalBytesUploaded);
    }
}
