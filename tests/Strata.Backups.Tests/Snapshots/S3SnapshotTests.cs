using Strata.Backups.Snapshots;
using Strata.Storage;
using Strata.Storage.Tests.S3;
using Strata.Testing;

namespace Strata.Backups.Tests.Snapshots;

[Trait("kind", "e2e")]
public sealed class S3SnapshotTests(S3rverProcess server) : IClassFixture<S3rverProcess>, IDisposable
{
    private readonly TemporaryDirectory _work = new("strata-backup-s3");
    private readonly IObjectStore _store = ObjectStores.CreateS3(server.Options());

    public void Dispose()
    {
        foreach (var folder in Directory.EnumerateDirectories(_work.Path, "empty", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        _work.Dispose();
        ((IDisposable)_store).Dispose();
    }

    [Fact]
    public async Task RestoreAsync_FromS3_RecreatesTreeAndSecondSnapshotDeduplicates()
    {
        var volume = _work.Combine("volume");
        Directory.CreateDirectory(volume);
        TestVolumes.Fill(volume);
        var engine = TestVolumes.Engine(_store);

        var first = await engine.SnapshotAsync(TestVolumes.Request(volume, key: "s3cret")).WithTimeout();
        var second = await engine.SnapshotAsync(TestVolumes.Request(volume, key: "s3cret")).WithTimeout();
        await engine.RestoreAsync(second.Manifest.Id, _work.Combine("restored"), "s3cret").WithTimeout();

        Assert.Equal(TestVolumes.Describe(volume), TestVolumes.Describe(_work.Combine("restored")));
        Assert.Equal(0, second.ChunksUploaded);
        Assert.Equal(2, (await engine.ListAsync().ToListAsync()).Count);
        Assert.True((await engine.VerifyAsync(first.Manifest.Id, "s3cret").WithTimeout()).Ok);
    }
}
