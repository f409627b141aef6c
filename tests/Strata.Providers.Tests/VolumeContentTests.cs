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

    [Fact]
    public async Task WriteAsync_PipeAndSocketInTheVolume_LeftOutAndEverythingElseCopied()
    {
        using var source = new TemporaryDirectory("strata-content");
        source.WriteFile("a.txt", "a");
        SpecialFiles.MakePipe(source.Combine("b.pipe"));
        using var socket = SpecialFiles.MakeSocket(source.Combine("c.sock"));
        source.WriteFile("d/e.txt", "e");
        using var archive = new MemoryStream();

        // Opening the pipe to read it would wait for a writer that never comes.
        await VolumeContent.WriteAsync(source.Path, archive, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        archive.Position = 0;
        using var target = new TemporaryDirectory("strata-content-copy");
        await VolumeContent.ExtractAsync(archive, target.Path, CancellationToken.None);
        Assert.Equal(["a.txt", "d", "d/e.txt"], FolderWalk.DepthFirst(target.Path).Select(e => e.Path));
        Assert.Equal("e", File.ReadAllText(target.Combine("d/e.txt")));
    }

    [Fact]
    public async Task WriteAsync_FileAndFolderDeletedAfterTheyWereListed_LeftOutAndTheRestCopied()
    {
        using var source = new TemporaryDirectory("strata-content");
        source.WriteFile("a.txt", "a");
        source.WriteFile("b/c.txt", "c");
        source.WriteFile("d.txt", "d");
        using var target = new TemporaryDirectory("strata-content-copy");
        using var archive = new MemoryStream();
        // The application deletes a folder and a file while the copy runs: both were listed with a.txt.
        await using (var deleting = new OnFirstWrite(archive, () =>
        {
            Directory.Delete(source.Combine("b"), recursive: true);
            File.Delete(source.Combine("d.txt"));
        }))
        {
            await VolumeContent.WriteAsync(source.Path, deleting, CancellationToken.None);
        }

        archive.Position = 0;
        await VolumeContent.ExtractAsync(archive, target.Path, CancellationToken.None);

        Assert.Equal(["a.txt"], FolderWalk.DepthFirst(target.Path).Select(e => e.Path));
    }

    /// <summary>A stream that runs an action before its first write, as an application acting while a copy runs.</summary>
    private sealed class OnFirstWrite(Stream inner, Action action) : Stream
    {
        private Action? _action = action;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Interlocked.Exchange(ref _action, null)?.Invoke();
            inner.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Interlocked.Exchange(ref _action, null)?.Invoke();
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    [Fact]
    public async Task ArchiveBytes_EmptyFilesLongNamesAndLinks_NeverLessThanWhatIsWritten()
    {
        using var source = new TemporaryDirectory("strata-content");
        for (var i = 0; i < 50; i++)
        {
            source.WriteFile($"empty/{i}", "");
        }

        var deep = string.Join('/', Enumerable.Repeat(new string('n', 120), 6));
        source.WriteFile($"{deep}/file.txt", new string('x', 700));
        File.CreateSymbolicLink(source.Combine("link"), deep + "/file.txt");
        using var archive = new MemoryStream();
        await VolumeContent.WriteAsync(source.Path, archive, CancellationToken.None);

        var estimate = VolumeContent.ArchiveBytes(source.Path);

        Assert.InRange(estimate, archive.Length, archive.Length + (60 * 1024));
    }

    [Fact]
    public async Task WriteAsync_FileAppendedToWhileWritten_ArchiveStaysWholeWithEveryEntryAfterIt()
    {
        using var source = new TemporaryDirectory("strata-content");
        await File.WriteAllBytesAsync(source.Combine("a-log.bin"), new byte[4 << 20]);
        source.WriteFile("z/later.txt", "later");
        using var stop = new CancellationTokenSource();
        // The application of a volume in use: it appends all the while its volume is copied.
        var appending = Task.Run(async () =>
        {
            await using var log = new FileStream(source.Combine("a-log.bin"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            while (!stop.IsCancellationRequested)
            {
                await log.WriteAsync("x\n"u8.ToArray());
                await log.FlushAsync();
            }
        });

        try
        {
            for (var copy = 0; copy < 10; copy++)
            {
                using var target = new TemporaryDirectory("strata-content-copy");
                // Through a pipe, as to and from a host: neither end can seek.
                var pipe = new System.IO.Pipelines.Pipe();
                var writing = Task.Run(async () =>
                {
                    await using var into = pipe.Writer.AsStream();
                    await VolumeContent.WriteAsync(source.Path, into, CancellationToken.None);
                });
                await using (var archive = pipe.Reader.AsStream())
                {
                    await VolumeContent.ExtractAsync(archive, target.Path, CancellationToken.None);
                }

                await writing;
                Assert.Equal("later", File.ReadAllText(target.Combine("z/later.txt")));
                Assert.True(new FileInfo(target.Combine("a-log.bin")).Length >= 4 << 20);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await appending;
        }
    }

    [Fact]
    public async Task ExtractAsync_EntryWhoseDataRunsPastItsSize_RefusedRatherThanCutShort()
    {
        // What a writer that copies a growing file to its end makes: the data outruns the size in the header, and
        // every header after it is shifted. The reader takes the zeros it lands on for the archive's end.
        using var archive = new MemoryStream();
        await using (var writer = new TarWriter(archive, TarEntryFormat.Ustar, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, "a.txt") { DataStream = new GrownStream("0123456789"u8.ToArray(), 600) });
            await writer.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, "b.txt") { DataStream = new MemoryStream("b"u8.ToArray()) });
        }

        archive.Position = 0;
        using var target = new TemporaryDirectory("strata-content-copy");

        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => VolumeContent.ExtractAsync(archive, target.Path, CancellationToken.None));

        Assert.Contains("the archive goes on after what reads as its end", refused.Message);
    }

    [Fact]
    public void SizedFileStream_FileShrunkAfterItWasOpened_GivesItsMeasuredLengthPaddedWithZeros()
    {
        using var source = new TemporaryDirectory("strata-content");
        var path = source.WriteFile("data", new string('d', 1000));
        using var data = new SizedFileStream(path);
        File.WriteAllText(path, "short");
        using var read = new MemoryStream();

        data.CopyTo(read);

        Assert.Equal(1000, read.Length);
        Assert.Equal("short", System.Text.Encoding.ASCII.GetString(read.ToArray(), 0, 5));
        Assert.All(read.ToArray()[5..], b => Assert.Equal(0, b));
    }

    /// <summary>A file's data that says it has <c>data.Length</c> bytes and gives <paramref name="grown"/> zeros more, as a file appended to after it was measured does.</summary>
    private sealed class GrownStream(byte[] data, int grown) : MemoryStream([.. data, .. new byte[grown]])
    {
        public override long Length => data.Length;
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
