using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Strata.Common.Files;

namespace Strata.Planning.Images;

/// <summary>
/// The content digest of an image source folder: SHA-256 over a deterministic walk. Entries are visited in ordinal
/// order of their <c>/</c>-separated relative paths; each contributes its kind, path, executable bit and content
/// (a symbolic link contributes its target text and is not followed). Timestamps, owners and other permission bits
/// do not count, so the same tree on another machine has the same digest.
/// </summary>
public static class ImageDigest
{
    private const int BufferSize = 128 * 1024;

    /// <summary>Computes the digest of <paramref name="folder"/>, e.g. <c>sha256:9f86d0…</c>.</summary>
    /// <exception cref="ImageDigestException">The folder does not exist or a file in it cannot be read.</exception>
    public static string Compute(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
        {
            throw new ImageDigestException(folder, File.Exists(root)
                ? $"the image source '{folder}' is a file, not a folder"
                : $"the image source folder '{folder}' does not exist");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            foreach (var (relative, entry) in Walk(root))
            {
                // .NET lists a pipe, a socket or a device as a file, and reading a pipe would wait for a writer.
                if (entry is FileInfo { LinkTarget: null } && FileFacts.Of(entry.FullName).Kind == FileKind.Special)
                {
                    throw new ImageDigestException(folder,
                        $"'{relative}' in the image source folder '{folder}' is a pipe, a socket or a device, which an image cannot carry: remove it (a server can create it when it starts)");
                }

                AddEntry(hash, relative, entry, buffer);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ImageDigestException(folder, $"the image source folder '{folder}' cannot be read: {ex.Message}", ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static IEnumerable<(string Relative, FileSystemInfo Entry)> Walk(string root)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = 0,
            IgnoreInaccessible = false,
            ReturnSpecialDirectories = false,
        };
        var entries = new DirectoryInfo(root).EnumerateFileSystemInfos("*", options)
            .Select(e => (Relative: Path.GetRelativePath(root, e.FullName).Replace('\\', '/'), Entry: e))
            .ToList();
        entries.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        return entries;
    }

    private static void AddEntry(IncrementalHash hash, string relative, FileSystemInfo entry, byte[] buffer)
    {
        if (entry.LinkTarget is { } target)
        {
            AddHeader(hash, "l", relative, executable: false, target.Length);
            hash.AppendData(Encoding.UTF8.GetBytes(target));
        }
        else if (entry is DirectoryInfo)
        {
            AddHeader(hash, "d", relative, executable: false, 0);
        }
        else
        {
            var file = (FileInfo)entry;
            AddHeader(hash, "f", relative, IsExecutable(file), file.Length);
            using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            int read;
            while ((read = stream.Read(buffer, 0, BufferSize)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }
    }

    private static void AddHeader(IncrementalHash hash, string kind, string relative, bool executable, long length)
    {
        // The length prefix keeps one file's bytes from being read as the next entry's header.
        var header = string.Create(CultureInfo.InvariantCulture, $"{kind}\0{relative}\0{(executable ? 'x' : '-')}\0{length}\0");
        hash.AppendData(Encoding.UTF8.GetBytes(header));
    }

    private static bool IsExecutable(FileInfo file) =>
        !OperatingSystem.IsWindows() && (file.UnixFileMode & UnixFileMode.UserExecute) != 0;
}

/// <summary>An image source folder that cannot be digested; the message names the folder and the cause.</summary>
public sealed class ImageDigestException : Exception
{
    public ImageDigestException(string folder, string message, Exception? inner = null)
        : base(message, inner) => Folder = folder;

    public string Folder { get; }
}
