using Strata.Backups.Replication;
using Strata.Backups.Services;
using Strata.Storage;
using Strata.Storage.Tests.S3;
using Strata.Testing;

namespace Strata.Backups.Tests.Replication;

[Trait("kind", "e2e")]
public sealed class ReplicatorTests(S3rverProcess server) : IClassFixture<S3rverProcess>, IDisposable
{
    private readonly TemporaryDirectory _work = new("strata-dr");
    private readonly TemporaryDirectory _primaryObjects = new("strata-dr-primary");
    private readonly IObjectStore _dr = ObjectStores.CreateS3(server.Options());

    public void Dispose()
    {
        foreach (var folder in Directory.EnumerateDirectories(_work.Path, "empty", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        _work.Dispose();
        _primaryObjects.Dispose();
        ((IDisposable)_dr).Dispose();
    }

    [Fact]
    public async Task CopySnapshotAsync_ToS3_RestoresFromCopyAndCopiesOnlyMissingChunksNextTime()
    {
        var primary = TestVolumes.FileStore(_primaryObjects);
        var volume = _work.Combine("volume");
        Directory.CreateDirectory(volume);
        TestVolumes.Fill(volume);
        var engine = TestVolumes.Engine(primary);
        var first = await engine.SnapshotAsync(TestVolumes.Request(volume, key: "k")).WithTimeout();
        File.AppendAllText(Path.Combine(volume, "pg", "log.txt"), "one more line\n");
        var second = await engine.SnapshotAsync(TestVolumes.Request(volume, key: "k")).WithTimeout();
        var replicator = new Replicator(primary, _dr);

        var copiedFirst = await replicator.CopySnapshotAsync(first.Manifest.Id).WithTimeout();
        var copiedSecond = await replicator.CopySnapshotAsync(second.Manifest.Id).WithTimeout();
        Directory.Delete(_primaryObjects.Path, recursive: true);
        var fromDr = TestVolumes.Engine(_dr);
        await fromDr.RestoreAsync(second.Manifest.Id, _work.Combine("restored"), "k").WithTimeout();

        Assert.Equal(first.Manifest.ChunkCount + 1, copiedFirst.ObjectsCopied);
        Assert.True(copiedSecond.ObjectsCopied < 5, $"copied {copiedSecond.ObjectsCopied} objects the second time");
        Assert.Equal(TestVolumes.Describe(volume), TestVolumes.Describe(_work.Combine("restored")));
        Assert.Equal(2, (await fromDr.ListAsync().ToListAsync()).Count);
    }

    [Fact]
    public async Task CopyServiceBackupAsync_ToS3_DownloadsFromCopy()
    {
        var primary = new ServiceBackupStore(TestVolumes.FileStore(_primaryObjects));
        var uploaded = await primary.UploadAsync(_work.WriteFile("dump.sql", "rows"), new ServiceBackupRequest("shop", "db", "s1", "dump", "img")).WithTimeout();

        await new Replicator(primary.Store, _dr).CopyServiceBackupAsync(uploaded.Id).WithTimeout();
        var downloaded = await new ServiceBackupStore(_dr).DownloadAsync(uploaded.Id, _work.Combine("out.sql")).WithTimeout();

        Assert.Equal(uploaded, downloaded);
        Assert.Equal("rows", await File.ReadAllTextAsync(_work.Combine("out.sql")));
    }

    [Fact]
    public async Task CopySnapshotAsync_ChunkMissingAtSource_FailsAndPublishesNothing()
    {
        var primary = TestVolumes.FileStore(_primaryObjects);
        var volume = _work.Combine("volume");
        Directory.CreateDirectory(volume);
        TestVolumes.Fill(volume);
        var snapshot = await TestVolumes.Engine(primary).SnapshotAsync(TestVolumes.Request(volume)).WithTimeout();
        var victim = snapshot.Manifest.ChunkIds().Last();
        await primary.DeleteAsync($"chunks/{victim[..2]}/{victim}", CancellationToken.None).WithTimeout();

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => new Replicator(primary, _dr).CopySnapshotAsync(snapshot.Manifest.Id).WithTimeout());

        Assert.Equal($"chunks/{victim[..2]}/{victim}", error.ObjectKey);
        Assert.Empty(await TestVolumes.Engine(_dr).ListAsync().ToListAsync());
    }
}
