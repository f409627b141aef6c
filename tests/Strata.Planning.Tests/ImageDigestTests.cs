using Strata.Planning.Images;
using Strata.Testing;

namespace Strata.Planning.Tests;

[Trait("kind", "unit")]
public sealed class ImageDigestTests
{
    [Fact]
    public void Compute_SameTreeInTwoFolders_SameDigest()
    {
        using var a = new TemporaryDirectory();
        using var b = new TemporaryDirectory();
        foreach (var folder in new[] { b, a })
        {
            folder.WriteFile("z.txt", "last");
            folder.WriteFile("a/b.txt", "nested");
            folder.WriteFile("m.txt", "middle");
        }

        var digest = ImageDigest.Compute(a.Path);

        Assert.Matches("^sha256:[0-9a-f]{64}$", digest);
        Assert.Equal(digest, ImageDigest.Compute(b.Path));
    }

    [Fact]
    public void Compute_ContentChanged_DigestChanges()
    {
        using var folder = new TemporaryDirectory();
        folder.WriteFile("app.py", "print(1)");
        var before = ImageDigest.Compute(folder.Path);

        folder.WriteFile("app.py", "print(2)");

        Assert.NotEqual(before, ImageDigest.Compute(folder.Path));
    }

    [Fact]
    public void Compute_FileRenamed_DigestChanges()
    {
        using var folder = new TemporaryDirectory();
        folder.WriteFile("a.txt", "same");
        var before = ImageDigest.Compute(folder.Path);

        File.Move(folder.Combine("a.txt"), folder.Combine("b.txt"));

        Assert.NotEqual(before, ImageDigest.Compute(folder.Path));
    }

    [Fact]
    public void Compute_BytesMovedBetweenFiles_DigestChanges()
    {
        using var a = new TemporaryDirectory();
        using var b = new TemporaryDirectory();
        a.WriteFile("1", "ab");
        a.WriteFile("2", "c");
        b.WriteFile("1", "a");
        b.WriteFile("2", "bc");

        Assert.NotEqual(ImageDigest.Compute(a.Path), ImageDigest.Compute(b.Path));
    }

    [Fact]
    public void Compute_ExecutableBitChanged_DigestChanges()
    {
        using var folder = new TemporaryDirectory();
        var script = folder.WriteFile("run.sh", "echo hi");
        var before = ImageDigest.Compute(folder.Path);

        File.SetUnixFileMode(script, File.GetUnixFileMode(script) | UnixFileMode.UserExecute);

        Assert.NotEqual(before, ImageDigest.Compute(folder.Path));
    }

    [Fact]
    public void Compute_TimestampChanged_DigestUnchanged()
    {
        using var folder = new TemporaryDirectory();
        var file = folder.WriteFile("app.py", "print(1)");
        var before = ImageDigest.Compute(folder.Path);

        File.SetLastWriteTimeUtc(file, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        Assert.Equal(before, ImageDigest.Compute(folder.Path));
    }

    [Fact]
    public void Compute_Symlink_HashedAsTargetTextNotFollowed()
    {
        using var folder = new TemporaryDirectory();
        folder.WriteFile("real/data.txt", "one");
        File.CreateSymbolicLink(folder.Combine("link"), "real");
        var before = ImageDigest.Compute(folder.Path);

        folder.WriteFile("real/data.txt", "two");
        var contentChanged = ImageDigest.Compute(folder.Path);
        File.Delete(folder.Combine("link"));
        File.CreateSymbolicLink(folder.Combine("link"), "elsewhere");

        Assert.NotEqual(before, contentChanged);
        Assert.NotEqual(contentChanged, ImageDigest.Compute(folder.Path));
    }

    [Fact]
    public void Compute_EmptyFolderAdded_DigestChanges()
    {
        using var folder = new TemporaryDirectory();
        folder.WriteFile("a.txt", "x");
        var before = ImageDigest.Compute(folder.Path);

        Directory.CreateDirectory(folder.Combine("logs"));

        Assert.NotEqual(before, ImageDigest.Compute(folder.Path));
    }

    [Fact]
    public void Compute_PipeInTheFolder_RefusedNamingIt()
    {
        using var folder = new TemporaryDirectory();
        folder.WriteFile("app.py", "x");
        SpecialFiles.MakePipe(folder.Combine("control"));

        var error = Assert.Throws<ImageDigestException>(() => ImageDigest.Compute(folder.Path));

        Assert.Equal($"'control' in the image source folder '{folder.Path}' is a pipe, a socket or a device, which an image cannot carry: remove it (a server can create it when it starts)", error.Message);
    }

    [Fact]
    public void Compute_MissingFolder_ThrowsClearError()
    {
        using var folder = new TemporaryDirectory();
        var missing = folder.Combine("nope");

        var error = Assert.Throws<ImageDigestException>(() => ImageDigest.Compute(missing));

        Assert.Equal($"the image source folder '{missing}' does not exist", error.Message);
        Assert.Equal(missing, error.Folder);
    }

    [Fact]
    public void Compute_PathIsFile_ThrowsClearError()
    {
        using var folder = new TemporaryDirectory();
        var file = folder.WriteFile("app.py", "x");

        var error = Assert.Throws<ImageDigestException>(() => ImageDigest.Compute(file));

        Assert.Contains("is a file, not a folder", error.Message);
    }
}
