namespace Strata.Common.Files;

/// <summary>
/// Replaces files so that readers see the old content or the new, never a part of it, even if the writer dies.
/// The content goes to a new file in the same folder under a name no other writer uses (so writers at the same
/// time never share one, and the last rename wins), created with its final mode; it is flushed to disk, renamed over
/// the target and the folder flushed, so that the rename survives a power loss too. A failed write deletes its
/// temporary file and leaves the target as it was.
/// </summary>
/// <example><c>AtomicFile.Write(tokenFile, Encoding.UTF8.GetBytes(token), AtomicFileOptions.OwnerOnly)</c></example>
public static class AtomicFile
{
    /// <summary>How temporary files begin; a folder listing skips names that start with it.</summary>
    public const string TemporaryPrefix = ".strata-tmp-";

    private const int AsyncBufferSize = 1 << 16;

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/>.</summary>
    public static void Write(string path, ReadOnlyMemory<byte> content, AtomicFileOptions? options = null) =>
        Write(path, stream => stream.Write(content.Span), options);

    /// <summary>Replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is given.</summary>
    public static void Write(string path, Action<Stream> write, AtomicFileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(write);
        options ??= new AtomicFileOptions();
        var (full, temporary) = Paths(path);
        try
        {
            using (var stream = OpenNew(temporary, options, useAsync: false))
            {
                write(stream);
                stream.Flush(flushToDisk: options.Durable);
                StartWriteback(stream, options);
            }

            Commit(temporary, full, options);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is given; when
    /// it throws or is cancelled, the target is left as it was.
    /// </summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, AtomicFileOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        options ??= new AtomicFileOptions();
        var (full, temporary) = Paths(path);
        try
        {
            await using (var stream = OpenNew(temporary, options, useAsync: true))
            {
                await write(stream, ct).ConfigureAwait(false);
                await stream.FlushAsync(ct).ConfigureAwait(false);
                stream.Flush(flushToDisk: options.Durable);
                StartWriteback(stream, options);
            }

            Commit(temporary, full, options);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Whether <paramref name="fileName"/> (a name, not a path) is a temporary file of a write in progress or of a writer that died.</summary>
    public static bool IsTemporary(string fileName) => fileName.StartsWith(TemporaryPrefix, StringComparison.Ordinal);

    /// <summary>Deletes a folder tree by first renaming it aside, so that nobody sees it half deleted.</summary>
    public static void DeleteFolder(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        var parent = Path.GetDirectoryName(path)!;
        var trash = Path.Combine(parent, $".deleting-{Path.GetFileName(path)}-{Guid.NewGuid():N}");
        Directory.Move(path, trash);
        Directory.Delete(trash, recursive: true);
    }

    private static (string Full, string Temporary) Paths(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $"{TemporaryPrefix}{Path.GetFileName(full)}-{Guid.NewGuid():N}");
        return (full, temporary);
    }

    private static FileStream OpenNew(string path, AtomicFileOptions options, bool useAsync)
    {
        var streamOptions = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = useAsync ? AsyncBufferSize : 4096,
            Options = useAsync ? FileOptions.Asynchronous : FileOptions.None,
        };
        if (options.Mode is { } mode)
        {
            streamOptions.UnixCreateMode = mode;
        }

        return new FileStream(path, streamOptions);
    }

    private static void StartWriteback(FileStream stream, AtomicFileOptions options)
    {
        if (options.StartWriteback && !options.Durable)
        {
            FileWriteback.Start(stream.SafeFileHandle);
        }
    }

    private static void Commit(string temporary, string target, AtomicFileOptions options)
    {
        File.Move(temporary, target, overwrite: true);
        if (options.Durable)
        {
            FolderSync.Flush(Path.GetDirectoryName(target)!);
        }
    }
}
