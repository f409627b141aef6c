using System.Runtime.ExceptionServices;
using Strata.Providers;

namespace Strata.ControlPlane.Backups;

/// <summary>
/// Snapshots read and restores write a volume's folder on the control plane's machine. A volume kept on a host is not
/// here, and its path names a folder of the host: its content is copied here to be read, and copied back to be
/// written, through the provider that keeps it there; it is never read or written at a path of another machine.
/// </summary>
internal static class VolumeWhereabouts
{
    /// <summary>The host that keeps the volume, or null when it is on the control plane's machine.</summary>
    public static Task<string?> HostOfAsync(ICloudProvider provider, string volumeId, CancellationToken ct) =>
        provider is IRemoteVolumes remote ? remote.HostOfAsync(volumeId, ct) : Task.FromResult<string?>(null);

    /// <summary>
    /// The folder a snapshot reads the volume from: its own (<paramref name="path"/>), or, for a volume kept on a host,
    /// a copy of it here taken between <paramref name="freeze"/> and <paramref name="thaw"/> (see
    /// <see cref="CopyHereAsync"/>) and deleted with the result.
    /// </summary>
    public static async Task<ReadableVolume> ReadableAsync(
        ICloudProvider provider, string volumeId, string path, string home,
        Func<CancellationToken, Task>? freeze, Func<CancellationToken, Task>? thaw, CancellationToken ct)
    {
        if (await HostOfAsync(provider, volumeId, ct).ConfigureAwait(false) is not { } host)
        {
            return new ReadableVolume(path, null);
        }

        var copy = new ScratchFolder(home);
        try
        {
            await CopyHereAsync(provider, volumeId, host, copy.Path, freeze, thaw, ct).ConfigureAwait(false);
            return new ReadableVolume(copy.Path, copy);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Fails, before anything is changed, when the volume's content cannot be written now: it is kept on a host that
    /// is not connected.
    /// </summary>
    public static async Task CheckWritableAsync(ICloudProvider provider, string volumeId, string host, CancellationToken ct)
    {
        await ThroughHostAsync(provider, volumeId, host, copies => copies.CheckConnectedAsync(volumeId, ct)).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies a volume kept on <paramref name="host"/> into the empty folder <paramref name="folder"/> here, between
    /// <paramref name="freeze"/> and <paramref name="thaw"/>: the application pauses while its host reads the volume
    /// into an archive, not for the transfer nor for the snapshot that reads the copy afterwards. Thaw runs once,
    /// whatever the copy's outcome, and a thaw that fails fails the copy.
    /// </summary>
    public static async Task CopyHereAsync(
        ICloudProvider provider, string volumeId, string host, string folder,
        Func<CancellationToken, Task>? freeze, Func<CancellationToken, Task>? thaw, CancellationToken ct)
    {
        if (freeze is not null)
        {
            await freeze(ct).ConfigureAwait(false);
        }

        var thawing = new ThawOnce(thaw);
        try
        {
            await ThroughHostAsync(provider, volumeId, host, copies => copies.CopyOutAsync(volumeId, folder, _ => thawing.RunAsync(), ct)).ConfigureAwait(false);
        }
        finally
        {
            await thawing.RunAsync().ConfigureAwait(false);
            thawing.ThrowIfFailed();
        }
    }

    /// <summary>
    /// Runs a thaw hook at most once, as soon as the content is taken or when the copy ends; its failure is kept to
    /// be raised as the copy's own, not as a failure to read the volume.
    /// </summary>
    private sealed class ThawOnce(Func<CancellationToken, Task>? thaw)
    {
        private readonly Lock _lock = new();
        private Task? _running;
        private ExceptionDispatchInfo? _failure;

        /// <summary>Starts the thaw the first time, and waits for that same thaw every time.</summary>
        public Task RunAsync()
        {
            if (thaw is null)
            {
                return Task.CompletedTask;
            }

            lock (_lock)
            {
                return _running ??= ThawAsync();
            }
        }

        public void ThrowIfFailed() => _failure?.Throw();

        private async Task ThawAsync()
        {
            try
            {
                await thaw!(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _failure = ExceptionDispatchInfo.Capture(ex);
            }
        }
    }

    /// <summary>Replaces the content of a volume kept on <paramref name="host"/> with that of <paramref name="folder"/> here.</summary>
    public static async Task CopyThereAsync(ICloudProvider provider, string volumeId, string host, string folder, CancellationToken ct)
    {
        await ThroughHostAsync(provider, volumeId, host, copies => copies.CopyInAsync(volumeId, folder, ct)).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks the provider that keeps the volume on a host; what it cannot do (a host that is not connected) fails the
    /// backup or restore as an operation that cannot be done now, not as a fault of the control plane.
    /// </summary>
    private static async Task ThroughHostAsync(ICloudProvider provider, string volumeId, string host, Func<IRemoteVolumes, Task> action)
    {
        var copies = provider as IRemoteVolumes
            ?? throw new InvalidOperationException($"volume {volumeId} is on host {host}, and the provider cannot copy its content to the control plane's machine");
        try
        {
            await action(copies).ConfigureAwait(false);
        }
        catch (ProviderException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
    }
}

/// <summary>A volume's content readable on the control plane's machine: its own folder, or a copy deleted on dispose.</summary>
internal sealed class ReadableVolume(string path, ScratchFolder? copy) : IDisposable
{
    public string Path => path;

    /// <summary>Whether this is a copy, whose freeze and thaw hooks ran around the copy and not again around its read.</summary>
    public bool IsCopy => copy is not null;

    public void Dispose() => copy?.Dispose();
}
