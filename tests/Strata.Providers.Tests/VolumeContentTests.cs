using System.Formats.Tar;
using Strata.Common.Files;
using Strata.Testing;

namespace Strata.Providers.Tests;

/// <summary>
/// A volume's content read back from a host comes from a machine whose workload writes it: nothing in the archive may
/// land outside the folder it is extracted into, nor carry more than permission bits.
/// </summary>
[Trait("kind", "unit")]
public sealed class VolumeContentTests
{
    [Fact]
    public async Task ExtractAsync_VolumeWritten_ComesBackWithModesAndLinks()
    {
        using var source = new TemporaryDirectory("strata-content");
        source.WriteFile("rows.txt", "row 1\n");
        source.WriteFile("nested/more.txt", "more");
        File.SetUnixFileMode(source.Combine("rows.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.CreateSymbolicLink(source.Combine("current"), "nested/more.txt");
        File.SetUnixFileMode(source.Combine("nested"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        using var target = new TemporaryDirectory("strata-content-copy");
        using var archive = new MemoryStream();
        await VolumeContent.WriteAsync(source.Path, archive, CancellationToken.None);
        archive.Position = 0;

        await VolumeContent.ExtractAsync(archive, target.Path, CancellationToken.None);

        Assert.Equal("row 1\n", File.ReadAllText(target.Combine("rows.txt")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target.Combine("rows.txt")));
        Assert.Equal("nested/more.txt", new FileInfo(target.Combine("current")).LinkTarget);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserExecute, File.GetUnixFileMode(target.Combine("nested")));
        File.SetUnixFileMode(source.Combine("nested"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // A read-only folder does not stop the copy from being deleted.
        FolderTree.Delete(target.Combine("nested"));
        Assert.False(Directory.Exists(target.Combine("nested")));
    }

    public static TheoryData<string, string> Hostile => new()
    {
        { "below a link", "is below the symbolic link 's1/s2/up'" },
        { "climbing name", "would land outside the volume" },
        { "absolute name", "would land outside the volume" },
        { "hard link", "is a HardLink entry" },
        { "device", "is a CharacterDevice entry" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task ExtractAsync_HostileArchive_RefusedAndNothingWrittenOutside(string kind, string message)
    {
        using var outer = new TemporaryDirectory("strata-content-outer");
        var target = outer.Combine("copy");
        Directory.CreateDirectory(target);
        using var archive = new MemoryStream();
        await using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in Entries(kind))
            {
                await writer.WriteEntryAsync(entry);
            }
        }

        archive.Position = 0;

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => VolumeContent.ExtractAsync(archive, target, CancellationToken.None));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(["copy"], Directory.GetFileSystemEntries(outer.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ExtractAsync_SetuidFile_KeepsPermissionBitsOnly()
    {
        using var target = new TemporaryDirectory("strata-content-copy");
        using var archive = new MemoryStream();
        await using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            var file = new PaxTarEntry(TarEntryType.RegularFile, "tool") { DataStream = new MemoryStream("x"u8.ToArray()) };
            file.Mode = UnixFileMode.SetUser | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            await writer.WriteEntryAsync(file);
        }

        archive.Position = 0;

        await VolumeContent.ExtractAsync(archive, target.Path, CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(target.Combine("tool")));
    }

    private static IEnumerable<PaxTarEntry> Entries(string kind) => kind switch
    {
        // Each link alone points inside; together they climb out, and a file written below the last lands outside.
        "below a link" =>
        [
            new PaxTarEntry(TarEntryType.Directory, "s1/s2/"),
            new PaxTarEntry(TarEntryType.SymbolicLink, "s1/s2/up") { LinkName = ".." },
            new PaxTarEntry(TarEntryType.SymbolicLink, "l") { LinkName = "s1/s2/up/../.." },
            new PaxTarEntry(TarEntryType.SymbolicLink, "s1/s2/up/x") { LinkName = "y" },
        ],
        "climbing name" => [new PaxTarEntry(TarEntryType.RegularFile, "a/../../evil") { DataStream = new MemoryStream("x"u8.ToArray()) }],
        "absolute name" => [new PaxTarEntry(TarEntryType.RegularFile, "/tmp/evil") { DataStream = new MemoryStream("x"u8.ToArray()) }],
        "hard link" => [new PaxTarEntry(TarEntryType.HardLink, "passwd") { LinkName = "/etc/passwd" }],
        _ => [new PaxTarEntry(TarEntryType.CharacterDevice, "null") { DeviceMajor = 1, DeviceMinor = 3 }],
    };
}
