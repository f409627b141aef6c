using System.Text;
using Strata.Backups.Snapshots;
using Strata.Storage;
using Strata.Testing;

namespace Strata.Backups.Tests.Snapshots;

[Trait("kind", "unit")]
public sealed class SnapshotEngineTests : IDisposable
{
    private readonly TemporaryDirectory _work = new("strata-backup");
    private readonly TemporaryDirectory _objects = new("strata-backup-store");
    private readonly IObjectStore _store;
    private readonly SnapshotEngine _engine;
    private readonly string _volume;

    public SnapshotEngineTests()
    {
        _store = TestVolumes.FileStore(_objects);
        _engine = TestVolumes.Engine(_store);
        _volume = _work.Combine("volume");
        Directory.CreateDirectory(_volume);
        TestVolumes.Fill(_volume);
    }

    private SnapshotEngine Engine(int filesAtOnce) =>
        new(_store, new SnapshotEngineOptions { Chunking = TestVolumes.SmallChunks, Parallelism = 4, FilesAtOnce = filesAtOnce, SkipUnchangedFiles = false });

    public void Dispose()
    {
        File.SetUnixFileMode(_work.Combine("volume", "empty"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (Directory.Exists(_work.Combine("restored", "empty")))
        {
            File.SetUnixFileMode(_work.Combine("restored", "empty"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        _work.Dispose();
        _objects.Dispose();
    }

    [Fact]
    public async Task RestoreAsync_AfterSnapshot_RecreatesBytesModesLinksAndEmptyFolders()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();

        await _engine.RestoreAsync(result.Manifest.Id, _work.Combine("restored")).WithTimeout();

        Assert.Equal(TestVolumes.Describe(_volume), TestVolumes.Describe(_work.Combine("restored")));
        Assert.Contains(result.Manifest.Entries, e => e.Path == "empty/nested-empty" && e.Kind == SnapshotEntryKind.Directory);
        Assert.Equal("pg/log.txt", result.Manifest.Entries.Single(e => e.Path == "current").LinkTarget);
        Assert.Equal(5, result.Manifest.FileCount);
        Assert.Empty(Directory.GetDirectories(_work.Path, ".restored.*"));
    }

    [Fact]
    public async Task SnapshotAsync_PipeAndSocketInTheVolume_LeftOutAndTheRestRestored()
    {
        var withoutThem = TestVolumes.Describe(_volume);
        // An application's socket or pipe in its data folder: it has no content, and opening a pipe waits for a writer.
        SpecialFiles.MakePipe(_work.Combine("volume", "pg", "control.pipe"));
        using var socket = SpecialFiles.MakeSocket(_work.Combine("volume", ".s.PGSQL.5432"));

        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        await _engine.RestoreAsync(result.Manifest.Id, _work.Combine("restored")).WithTimeout();

        Assert.DoesNotContain(result.Manifest.Entries, e => e.Path.EndsWith("control.pipe") || e.Path.EndsWith(".s.PGSQL.5432"));
        Assert.Equal(5, result.Manifest.FileCount);
        Assert.Equal(withoutThem, TestVolumes.Describe(_work.Combine("restored")));
    }

    [Fact]
    public async Task SnapshotAsync_Compressible_StoresLessThanRead()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();

        var stored = (await _store.ListAsync("chunks/", CancellationToken.None).ToListAsync()).Sum(o => o.Size);
        Assert.True(stored < result.BytesRead * 0.85, $"stored {stored} bytes for {result.BytesRead} read");
        Assert.Equal(result.BytesRead, result.Manifest.TotalBytes);
    }

    [Fact]
    public async Task SnapshotAsync_UnchangedSecondTime_UploadsOnlyManifest()
    {
        var first = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var chunksBefore = await TestVolumes.ChunkKeysAsync(_store);

        var second = await _engine.SnapshotAsync(TestVolumes.Request(_volume) with { Server = "shop-db-2" }).WithTimeout();

        Assert.True(first.ChunksUploaded > 20);
        Assert.Equal(0, second.ChunksUploaded);
        Assert.Equal(first.ChunksUploaded, second.ChunksReused);
        Assert.Equal(chunksBefore, await TestVolumes.ChunkKeysAsync(_store));
        Assert.True(second.BytesUploaded < 20_000, $"uploaded {second.BytesUploaded} bytes");
    }

    [Fact]
    public async Task SnapshotAsync_OnePercentChanged_UploadsAboutOnePercent()
    {
        var big = _work.Combine("volume", "big.bin");
        var data = new byte[2_000_000];
        new Random(3).NextBytes(data);
        await File.WriteAllBytesAsync(big, data);
        var first = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        new Random(4).NextBytes(data.AsSpan(500_000, 10_000));
        new Random(5).NextBytes(data.AsSpan(1_500_000, 10_000));
        await File.WriteAllBytesAsync(big, data);

        var second = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();

        Assert.True(second.BytesUploaded < 0.03 * first.BytesRead + 60_000, $"uploaded {second.BytesUploaded} bytes of {first.BytesRead}");
        await _engine.RestoreAsync(second.Manifest.Id, _work.Combine("restored")).WithTimeout();
        Assert.Equal(data, await File.ReadAllBytesAsync(_work.Combine("restored", "big.bin")));
    }

    [Fact]
    public async Task SnapshotAsync_ManyFilesCutAtOnce_SameManifestAsOneAtATimeAndRestoresIdentically()
    {
        var random = new Random(11);
        for (var i = 0; i < 40; i++)
        {
            var bytes = new byte[random.Next(0, 120_000)];
            random.NextBytes(bytes);
            var folder = _work.Combine("volume", $"d{i % 5}");
            Directory.CreateDirectory(folder);
            await File.WriteAllBytesAsync(Path.Combine(folder, $"f{i}.bin"), bytes);
        }

        var one = await Engine(filesAtOnce: 1).SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var many = await Engine(filesAtOnce: 4).SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        await Engine(filesAtOnce: 4).RestoreAsync(many.Manifest.Id, _work.Combine("restored")).WithTimeout();

        Assert.Equal(one.Manifest.Entries.Select(e => (e.Path, e.Size, string.Join(",", e.Chunks ?? []))), many.Manifest.Entries.Select(e => (e.Path, e.Size, string.Join(",", e.Chunks ?? []))));
        Assert.Equal(TestVolumes.Describe(_volume), TestVolumes.Describe(_work.Combine("restored")));
    }

    [Fact]
    public async Task SnapshotAsync_ManyFilesCutAtOnce_ProgressNeverGoesBack()
    {
        var random = new Random(12);
        for (var i = 0; i < 60; i++)
        {
            var bytes = new byte[random.Next(20_000, 90_000)];
            random.NextBytes(bytes);
            await File.WriteAllBytesAsync(_work.Combine("volume", $"p{i}.bin"), bytes);
        }

        var reports = new System.Collections.Concurrent.ConcurrentQueue<BackupProgress>();
        await Engine(filesAtOnce: 4).SnapshotAsync(TestVolumes.Request(_volume), new SynchronousProgress(reports.Enqueue)).WithTimeout();

        var list = reports.ToList();
        Assert.True(list.Count > 60, $"{list.Count} reports");
        Assert.All(list.Zip(list.Skip(1)), pair => Assert.True(
            pair.Second.FilesRead >= pair.First.FilesRead && pair.Second.BytesRead >= pair.First.BytesRead, $"{pair.First} then {pair.Second}"));
    }

    [Fact]
    public async Task ListAsync_SnapshotCancelledMidway_IsNotListed()
    {
        var big = new byte[3_000_000];
        new Random(6).NextBytes(big);
        await File.WriteAllBytesAsync(_work.Combine("volume", "big.bin"), big);
        var complete = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        await File.WriteAllBytesAsync(_work.Combine("volume", "other.bin"), big.Reverse().ToArray());
        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress(p =>
        {
            if (p.BytesRead > 1_000_000)
            {
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _engine.SnapshotAsync(TestVolumes.Request(_volume), progress, cancel.Token).WithTimeout());

        var listed = await _engine.ListAsync(new SnapshotFilter("shop")).ToListAsync();
        Assert.Equal([complete.Manifest.Id], listed.Select(s => s.Id));
        Assert.Empty(await _store.ListAsync("locks/", CancellationToken.None).ToListAsync());
    }

    [Fact]
    public async Task RestoreAsync_CorruptedChunk_ThrowsNamingObjectAndFileAndCreatesNothing()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var victim = result.Manifest.Entries.Single(e => e.Path == "pg/base/16384").Chunks![2];
        var path = _objects.Combine("chunks", victim[..2], victim);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes);

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() =>
            _engine.RestoreAsync(result.Manifest.Id, _work.Combine("restored")).WithTimeout());

        Assert.Equal($"chunks/{victim[..2]}/{victim}", error.ObjectKey);
        Assert.Equal("pg/base/16384", error.File);
        Assert.Contains(error.ObjectKey, error.Message);
        Assert.False(Directory.Exists(_work.Combine("restored")));
        Assert.Empty(Directory.GetDirectories(_work.Path, ".restored.*"));
    }

    [Fact]
    public async Task RestoreAsync_MissingChunk_ThrowsNamingObjectAndVerifyReportsIt()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var victim = result.Manifest.Entries.Single(e => e.Path == "pg/log.txt").Chunks![0];
        await _store.DeleteAsync($"chunks/{victim[..2]}/{victim}", CancellationToken.None).WithTimeout();

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() =>
            _engine.RestoreAsync(result.Manifest.Id, _work.Combine("restored")).WithTimeout());
        var verify = await _engine.VerifyAsync(result.Manifest.Id).WithTimeout();

        Assert.Contains("is missing", error.Message);
        Assert.Equal("pg/log.txt", error.File);
        Assert.False(verify.Ok);
        Assert.Contains(error.ObjectKey, Assert.Single(verify.Problems));
        Assert.False(Directory.Exists(_work.Combine("restored")));
    }

    [Fact]
    public async Task VerifyAsync_IntactSnapshot_ChecksEveryChunk()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();

        var verify = await _engine.VerifyAsync(result.Manifest.Id).WithTimeout();

        Assert.True(verify.Ok);
        Assert.Equal(result.Manifest.ChunkCount, verify.ChunksChecked);
    }

    [Fact]
    public async Task SnapshotAsync_Encrypted_RestoreNeedsTheKeyAndStoresNoPlaintext()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume, key: "correct horse")).WithTimeout();

        var noKey = await Assert.ThrowsAsync<BackupFailedException>(() => _engine.RestoreAsync(result.Manifest.Id, _work.Combine("r1")).WithTimeout());
        var wrongKey = await Assert.ThrowsAsync<BackupFailedException>(() => _engine.RestoreAsync(result.Manifest.Id, _work.Combine("r2"), "wrong").WithTimeout());
        await _engine.RestoreAsync(result.Manifest.Id, _work.Combine("restored"), "correct horse").WithTimeout();

        Assert.Contains("encryption key is needed", noKey.Message);
        Assert.Contains("does not match", wrongKey.Message);
        Assert.Equal(TestVolumes.Describe(_volume), TestVolumes.Describe(_work.Combine("restored")));
        var secretChunk = result.Manifest.Entries.Single(e => e.Path == "secret.conf").Chunks!.Single();
        Assert.NotEqual(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("password=hunter2\n"u8)), secretChunk);
        foreach (var file in Directory.EnumerateFiles(_objects.Combine("chunks"), "*", SearchOption.AllDirectories))
        {
            var stored = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file));
            Assert.DoesNotContain("hunter2", stored);
            Assert.DoesNotContain("of the log", stored);
        }
    }

    [Fact]
    public async Task SnapshotAsync_FreezeAndThaw_RunAroundReading()
    {
        var calls = new List<string>();
        var request = TestVolumes.Request(_volume) with
        {
            Freeze = _ => { calls.Add("freeze"); return Task.CompletedTask; },
            Thaw = _ => { calls.Add("thaw"); return Task.CompletedTask; },
        };

        await _engine.SnapshotAsync(request, new SynchronousProgress(_ => calls.Add("read"))).WithTimeout();

        Assert.Equal("freeze", calls[0]);
        Assert.Equal("thaw", calls[^1]);
        Assert.Contains("read", calls);
    }

    [Fact]
    public async Task SnapshotAsync_ReadFails_StillThawsAndRecordsNothing()
    {
        var thawed = false;
        var request = TestVolumes.Request(_volume) with
        {
            Freeze = _ => throw new InvalidOperationException("database refused to freeze"),
            Thaw = _ => { thawed = true; return Task.CompletedTask; },
        };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _engine.SnapshotAsync(request).WithTimeout());

        Assert.Equal("database refused to freeze", error.Message);
        Assert.False(thawed, "thaw runs only after a successful freeze");
        Assert.Empty(await _engine.ListAsync().ToListAsync());
    }

    [Fact]
    public async Task SnapshotAsync_MissingFolder_FailsClearly()
    {
        var error = await Assert.ThrowsAsync<BackupFailedException>(() =>
            _engine.SnapshotAsync(TestVolumes.Request(_work.Combine("nope"))).WithTimeout());

        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public async Task RestoreAsync_TargetExists_RefusesAndLeavesItAlone()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        _work.WriteFile("restored/keep.txt", "mine");

        var error = await Assert.ThrowsAsync<BackupFailedException>(() => _engine.RestoreAsync(result.Manifest.Id, _work.Combine("restored")).WithTimeout());

        Assert.Contains("already exists", error.Message);
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(_work.Combine("restored")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task RestoreAsync_UnknownId_ThrowsNotFound()
    {
        await Assert.ThrowsAsync<BackupNotFoundException>(() => _engine.RestoreAsync("20260101T000000Z-00000000", _work.Combine("r")).WithTimeout());
        await Assert.ThrowsAsync<ArgumentException>(() => _engine.RestoreAsync("../x", _work.Combine("r")).WithTimeout());
    }

    [Fact]
    public async Task ListAsync_Filter_ReturnsMatchingVolumes()
    {
        var a = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var b = await _engine.SnapshotAsync(TestVolumes.Request(_volume) with { Volume = "logs" }).WithTimeout();

        var data = await _engine.ListAsync(new SnapshotFilter("shop", "db", "data")).ToListAsync();
        var all = await _engine.ListAsync(new SnapshotFilter("shop")).ToListAsync();

        Assert.Equal([a.Manifest.Id], data.Select(s => s.Id));
        Assert.Equal(new[] { a.Manifest.Id, b.Manifest.Id }.Order(StringComparer.Ordinal), all.Select(s => s.Id).Order(StringComparer.Ordinal));
        Assert.Empty(await _engine.ListAsync(new SnapshotFilter("other")).ToListAsync());
    }

    /// <summary>Reports on the caller's thread, so a test sees every report before the snapshot continues.</summary>
    private sealed class SynchronousProgress(Action<BackupProgress> report) : IProgress<BackupProgress>
    {
        public void Report(BackupProgress value) => report(value);
    }
}
