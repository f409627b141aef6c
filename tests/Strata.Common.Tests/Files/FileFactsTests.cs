using System.Diagnostics;
using System.Globalization;
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
    public void Of_RegularFile_SizeModeOwnerInodeAndTimesAsStatSaysThem()
    {
        using var folder = new TemporaryDirectory();
        var file = folder.WriteFile("data.txt", "12345");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var modified = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567);
        File.SetLastWriteTimeUtc(file, modified);
        // Owner and group told apart (the tests run as root, where both would be 0).
        Run("chown", "1234:5678", file);

        var facts = FileFacts.Of(file);

        var stat = Run("stat", "-c", "%i %Z", file).Split(' ');
        Assert.Equal(5, facts.Size);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, facts.Mode);
        Assert.Equal(new DateTimeOffset(modified), facts.Modified);
        Assert.Equal(1234u, facts.Owner);
        Assert.Equal(long.Parse(stat[0], CultureInfo.InvariantCulture), facts.Inode);
        // The change time (set by chown, and never by setting times), not the access or birth time.
        Assert.Equal(long.Parse(stat[1], CultureInfo.InvariantCulture), facts.Changed.ToUnixTimeSeconds());
        Assert.NotEqual(facts.Modified, facts.Changed);
    }

    private static string Run(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)}: {process.StandardError.ReadToEnd()} (this test needs root, as test.sh runs it)");
        return output.Trim();
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
