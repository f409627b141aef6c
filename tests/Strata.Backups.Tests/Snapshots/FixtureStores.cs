using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.Backups.Tests.Snapshots;

/// <summary>Stores written by earlier releases and checked in under Fixtures/, opened from a copy.</summary>
internal static class FixtureStores
{
    /// <summary>Copies Fixtures/<paramref name="name"/> into <paramref name="work"/>/store, so that no test can change the checked-in fixture.</summary>
    public static IObjectStore Open(string name, TemporaryDirectory work)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = work.Combine("store", Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        return ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = work.Combine("store") });
    }
}
