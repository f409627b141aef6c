using Strata.Common.Files;
using Strata.Testing;

namespace Strata.Common.Tests.Files;

[Trait("kind", "unit")]
public sealed class FileFactsTests
{
    [Fact]
    public void Of_EachKindOfEntry_IsToldApart()
    {
        using var folder = new TemporaryDirectory();
        var file = folder.WriteFile("data.txt", "12345");
        Directory.CreateDirectory(folder.Combine("logs"));
        File.CreateSymbolicLink(folder.Combine("link"), "data.txt");
        SpecialFiles.MakePipe(folder.Combine("pipe"));
        using var socket = SpecialFiles.MakeSocket(folder.Combine("sock"));

        Assert.Equal(FileKind.Regular, FileFacts.Of(file).Kind);
        Assert.Equal(FileKind.Directory, FileFacts.Of(folder.Combine("logs")).Kind);
        Assert.Equal(FileKind.SymbolicLink, FileFacts.Of(folder.Combine("link")).Kind);
        Assert.Equal(FileKind.Regular, FileFacts.Of(folder.Combine("link"), followLinks: true).Kind);
        Assert.Equal(FileKind.Special, FileFacts.Of(folder.Combine("pipe")).Kind);
        Assert.Equal(FileKind.Special, FileFacts.Of(folder.Combine("sock")).Kind);
    }

    [Fact]
    public void Of_RegularFile_SizeModeOwnerAndTimesAsSet()
    {
        using var folder = new TemporaryDirectory();
        var file = folder.WriteFile("data.txt", "12345");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var modified = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567);
        File.SetLastWriteTimeUtc(file, modified);

        var facts = FileFacts.Of(file);

        Assert.Equal(5, facts.Size);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, facts.Mode);
        Assert.Equal(new DateTimeOffset(modified), facts.Modified);
        Assert.Equal(CurrentUserId(), facts.Owner);
        Assert.NotEqual(0, facts.Inode);
        Assert.True(facts.Changed > DateTimeOffset.UtcNow.AddMinutes(-5), $"change time {facts.Changed:O} is not recent");
    }

    private static uint CurrentUserId()
    {
        using var id = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("id", ["-u"]) { RedirectStandardOutput = true })!;
        var output = id.StandardOutput.ReadToEnd();
        id.WaitForExit();
        return uint.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void TryOf_NothingThere_IsNullAndOfSaysWhichPath()
    {
        using var folder = new TemporaryDirectory();
        var missing = folder.Combine("gone", "data.txt");

        Assert.Null(FileFacts.TryOf(missing));
        Assert.Null(FileFacts.TryOf(folder.WriteFile("file", "x") + "/below"));
        var error = Assert.Throws<FileNotFoundException>(() => FileFacts.Of(missing));
        Assert.Contains(missing, error.Message);
    }
}
