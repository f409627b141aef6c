using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Security.Cryptography;
using Strata.Storage;

namespace Strata.Providers.Local;

/// <summary>
/// Images of the local provider: a folder is baked once into a deterministic tar kept in the object store under
/// <c>images/sha256/&lt;hex&gt;.tar</c>, and extracted once per digest into <c>images/&lt;hex&gt;/</c>, from which every
/// launch clones its root. Extraction goes to a temporary folder renamed into place, so concurrent launches and other
/// processes never see a half-extracted image.
/// </summary>
internal sealed class LocalImages
{
    private readonly IObjectStore _store;
    private readonly string _cacheFolder;
    private readonly string _tempFolder;
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _extractions = new(StringComparer.Ordinal);

    public LocalImages(IObjectStore store, string rootPath)
    {
        _store = store;
        _cacheFolder = Path.Combine(rootPath, "images");
        _tempFolder = Path.Combine(rootPath, "tmp");
        Directory.CreateDirectory(_cacheFolder);
        Directory.CreateDirectory(_tempFolder);
    }

    public static string KeyOf(string digest) => ImageArchives.KeyOf(digest);

    public async Task<MachineImage> RegisterAsync(string sourceFolder, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceFolder);
        var folder = Path.GetFullPath(sourceFolder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"image folder '{folder}' does not exist");
        }

        var temp = Path.Combine(_tempFolder, $"bake-{Guid.NewGuid():N}.tar");
        try
        {
            await using var archive = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, useAsync: true);
            await ImageArchive.WriteAsync(folder, archive, ct).ConfigureAwait(false);
            archive.Position = 0;
            var digest = Convert.ToHexStringLower(await SHA256.HashDataAsync(archive, ct).ConfigureAwait(false));
            if (!await _store.ExistsAsync(KeyOf(digest), ct).ConfigureAwait(false))
            {
                archive.Position = 0;
                await _store.PutAsync(KeyOf(digest), archive, ct).ConfigureAwait(false);
            }

            return new MachineImage
            {
                Id = MachineImage.DigestPrefix + digest,
                Name = Path.GetFileName(folder),
                SizeBytes = archive.Length,
                SourcePath = folder,
            };
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Returns the cached, extracted tree of an image, extracting it from the object store the first time.</summary>
    /// <exception cref="ObjectNotFoundException">The image is not in the object store.</exception>
    public Task<string> EnsureExtractedAsync(MachineImage image, CancellationToken ct)
    {
        var digest = image.Digest;
        if (digest.Length != 64 || !digest.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException($"image id '{image.Id}' is not of the form sha256:<64 lowercase hex digits>", nameof(image));
        }

        var cached = Path.Combine(_cacheFolder, digest);
        if (Directory.Exists(cached))
        {
            return Task.FromResult(cached);
        }

        var extraction = _extractions.GetOrAdd(digest, d => new Lazy<Task<string>>(() => ExtractAsync(d, cached)));
        return AwaitAndForgetFailureAsync(digest, extraction, ct);
    }

    private async Task<string> AwaitAndForgetFailureAsync(string digest, Lazy<Task<string>> extraction, CancellationToken ct)
    {
        try
        {
            return await extraction.Value.WaitAsync(ct).ConfigureAwait(false);
        }
        catch when (extraction.Value.IsFaulted)
        {
            // A failed extraction (image missing, disk full) must be retried by the next launch, not remembered.
            _extractions.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(digest, extraction));
            throw;
        }
    }

    // Shared by every launch waiting for the digest, so one caller's cancellation must not abort it for the others.
    private async Task<string> ExtractAsync(string digest, string cached)
    {
        var ct = CancellationToken.None;
        var staging = Path.Combine(_tempFolder, $"extract-{digest}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            await using (var archive = await _store.OpenReadAsync(KeyOf(digest), ct).ConfigureAwait(false))
            {
                await TarFile.ExtractToDirectoryAsync(archive, staging, overwriteFiles: false, ct).ConfigureAwait(false);
            }

            Directory.Move(staging, cached);
        }
        catch (IOException) when (Directory.Exists(cached))
        {
            // Another process extracted the same digest first; its copy is identical.
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }

        return cached;
    }
}
