using Strata.Common.Files;
using Strata.Testing;

namespace Strata.Common.Tests.Files;

[Trait("kind", "unit")]
public sealed class FolderSyncTests
{
    [Fact]
    public void Flush_ExistingFolder_Succeeds()
    {
        using var folder = new TemporaryDirectory("strata-sync");

        FolderSync.Flush(folder.Path);

        Assert.True(Directory.Exists(folder.Path));
    }

    [Fact]
    public void Flush_MissingFolder_ThrowsNamingIt()
    {
        using var folder = new TemporaryDirectory("strata-sync");
        var missing = folder.Combine("gone");

        var error = Assert.Throws<IOException>(() => FolderSync.Flush(missing));

        Assert.Contains($"'{missing}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("errno 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FlushFileSystem_FolderWithNewFiles_Succeeds()
    {
        using var folder = new TemporaryDirectory("strata-sync");
        folder.WriteFile("new.bin", "written, not yet flushed");

        FolderSync.FlushFileSystem(folder.Path);

        Assert.Equal("written, not yet flushed", File.ReadAllText(folder.Combine("new.bin")));
    }

    [Fact]
    public void FlushFileSystem_MissingFolder_ThrowsNamingIt()
    {
        using var folder = new TemporaryDirectory("strata-sync");
        var missing = folder.Combine("gone");

        var error = Assert.Throws<IOException>(() => FolderSync.FlushFileSystem(missing));

        Assert.Contains($"cannot open the folder '{missing}' to flush its file system (errno 2)", error.Message, StringComparison.Ordinal);
    }
}
