using Strata.Backups.Chunking;
using Strata.Backups.Snapshots;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.Backups.Tests;

/// <summary>Small chunk sizes and sample folders, so that tests exercise many chunks with little data.</summary>
internal static class TestVolumes
{
    public static readonly ChunkingOptions SmallChunks = new() { MinSize = 1024, AverageSize = 4096, MaxSize = 16384 };

    public static SnapshotEngine Engine(IObjectStore store, TimeProvider? time = null) =>
        new(store, new SnapshotEngineOptions { Chunking = SmallChunks, Parallelism = 4 }, time);

    public static IObjectStore FileStore(TemporaryDirectory folder) =>
        ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = folder.Path });

    public static SnapshotRequest Request(string folder, string? key = null) => new(folder, "shop", "db", "shop-db-1", "data", key);

    /// <summary>A folder with random and compressible files, nested folders, an empty folder, a symlink and modes.</summary>
    public static void Fill(string root, int seed = 1, int randomBytes = 300_000)
    {
        var random = new Random(seed);
        Directory.CreateDirectory(Path.Combine(root, "pg", "base"));
        Directory.CreateDirectory(Path.Combine(root, "empty", "nested-empty"));
        var noise = new byte[randomBytes];
        random.NextBytes(noise);
        File.WriteAllBytes(Path.Combine(root, "pg", "base", "16384"), noise);
        File.WriteAllText(Path.Combine(root, "pg", "log.txt"), string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i} of the log\n")));
        File.WriteAllBytes(Path.Combine(root, "zero-length"), []);
        File.WriteAllText(Path.Combine(root, "secret.conf"), "password=hunter2\n");
        File.SetUnixFileMode(Path.Combine(root, "secret.conf"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Combine(root, "run.sh"), "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Combine(root, "run.sh"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(root, "current"), "pg/log.txt");
        File.SetUnixFileMode(Path.Combine(root, "empty"), (UnixFileMode)0b111_000_000);
    }

    /// <summary>Every entry below a folder as "path kind mode size sha" lines, to compare two trees exactly.</summary>
    public static List<string> Describe(string root)
    {
        var lines = new List<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(entry);
            var relative = Path.GetRelativePath(root, entry);
            lines.Add(info.LinkTarget is { } target
                ? $"{relative} link {target}"
                : Directory.Exists(entry)
                    ? $"{relative} dir {(int)info.UnixFileMode}"
                    : $"{relative} file {(int)info.UnixFileMode} {info.Length} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(entry)))} {info.LastWriteTimeUtc:O}");
        }

        return lines;
    }

    public static async Task<List<T>> ToListAsync<T>(this IAsyncEnumerable<T> items)
    {
        using var timeout = new CancellationTokenSource(Eventually.DefaultTimeout);
        var list = new List<T>();
        await foreach (var item in items.WithCancellation(timeout.Token))
        {
            list.Add(item);
        }

        return list;
    }

    public static async Task<List<string>> ChunkKeysAsync(IObjectStore store) =>
        (await store.ListAsync(ChunkCodec.ChunkPrefix, CancellationToken.None).ToListAsync()).Select(o => o.Key).ToList();
}
