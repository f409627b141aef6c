using System.Runtime.CompilerServices;
using Strata.Common.Files;

namespace Strata.Storage.FileSystem;

/// <summary>
/// Objects as files below a root folder. A put replaces its file through <see cref="AtomicFile"/> (a temporary file
/// beside the target, flushed and renamed over it), so readers never observe a partially written object.
/// <see cref="PutUnflushedAsync"/> leaves out the flush, and <see cref="FlushAsync"/> flushes the file system once.
/// </summary>
internal sealed class FileSystemObjectStore : IFlushableObjectStore
{
    // Written back as they come, so that the one flush at the end waits for the last objects only.
    private static readonly AtomicFileOptions s_unflushed = AtomicFileOptions.OwnerOnly with { Durable = false, StartWriteback = true };

    internal const string TypeName = "filesystem";

    private readonly string _root;

    public FileSystemObjectStore(FileSystemObjectStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.RootPath))
        {
            throw new ArgumentException("the filesystem object store needs a RootPath", nameof(options));
        }

        _root = Path.GetFullPath(options.RootPath);
    }

    public string Name => TypeName;

    public Task PutAsync(string key, Stream content, CancellationToken ct) => PutAsync(key, content, AtomicFileOptions.OwnerOnly, ct);

    public Task PutUnflushedAsync(string key, Stream content, CancellationToken ct) => PutAsync(key, content, s_unflushed, ct);

    public Task FlushAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        // The root may not exist yet when nothing was written; then there is nothing to flush.
        if (Directory.Exists(_root))
        {
            FolderSync.FlushFileSystem(_root);
        }

        return Task.CompletedTask;
    }

    private async Task PutAsync(string key, Stream content, AtomicFileOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        var target = PathOf(key);
        var folder = Path.GetDirectoryName(target)!;
        // Objects can be backups of secret data: files 0600 and folders 0700 from their creation.
        OwnerOnlyFiles.CreateFolder(folder);
        await AtomicFile.WriteAsync(target, (file, token) => content.CopyToAsync(file, token), options, ct).ConfigureAwait(false);
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        ct.ThrowIfCancellationRequested();
        try
        {
            Stream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, useAsync: true);
            return Task.FromResult(stream);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(Name, key);
        }
    }

    public Task<bool> ExistsAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(File.Exists(path));
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        ObjectKey.ValidatePrefix(prefix);
        var lastSlash = prefix.LastIndexOf('/');
        var start = lastSlash < 0 ? _root : Path.Combine(_root, prefix[..lastSlash]);
        if (!Directory.Exists(start))
        {
            yield break;
        }

        var found = new List<ObjectInfo>();
        foreach (var file in new DirectoryInfo(start).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            ct.ThrowIfCancellationRequested();
            var key = Path.GetRelativePath(_root, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (!AtomicFile.IsTemporary(file.Name) && key.StartsWith(prefix, StringComparison.Ordinal))
            {
                found.Add(new ObjectInfo(key, file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero)));
            }
        }

        found.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var info in found)
        {
            yield return info;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        ct.ThrowIfCancellationRequested();
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // No folder, so no object: deleting is idempotent.
        }

        return Task.CompletedTask;
    }

    private string PathOf(string key)
    {
        ObjectKey.Validate(key);
        if (key.Split('/').Any(AtomicFile.IsTemporary))
        {
            throw new ArgumentException($"invalid object key '{key}': segments starting with '{AtomicFile.TemporaryPrefix}' are reserved", nameof(key));
        }

        return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
    }
}
