using Strata.Api.Contracts;
using Strata.Api.Contracts.Events;
using Strata.Backups;
using Strata.Backups.Services;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Deployments;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

/// <summary>
/// Service backups through the real runner and restorer, a real <c>/bin/sh</c> hook and the home's filesystem store:
/// a policy's <c>encryptionKey</c> seals the dump, and a store shared by deployments never restores another's data
/// unless the restore names that deployment.
/// </summary>
[Trait("kind", "unit")]
public sealed class ServiceBackupProtectionTests : IAsyncLifetime
{
    // The test specs get their one secret parameter, dbPassword, from Specs.Load; it serves as the backup key here.
    private const string BackupKey = Specs.SecretPassword;
    private const string Dump = "INSERT INTO customers VALUES ('alice', 'alice@example.com');";

    private static readonly string s_spec = $$"""
        deployment: shop
        parameters:
          dbPassword: { type: string, secret: true }
        images:
          db:
            from: ./db
            run: sh run.sh
            hooks: { backup: sh backup.sh, restore: sh restore.sh }
        tiers:
          db:
            image: db
            servers: 1
            backups:
              hourly:
                service: true
                every: 1h
                encryptionKey: "${params.dbPassword}"
        """;

    private readonly ServiceBackupHarness _harness = new(spec: s_spec);

    public Task InitializeAsync()
    {
        _harness.ServerRoot.WriteFile("backup.sh", $"printf \"%s\" \"{Dump}\" > \"$STRATA_BACKUP_FILE\"\n");
        _harness.ServerRoot.WriteFile("restore.sh", "cp \"$STRATA_BACKUP_FILE\" restored.sql\n");
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    private IObjectStore Store => ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = Path.Combine(_harness.Home.Path, "backups") });

    [Fact]
    public async Task RunPolicyAsync_PolicyWithKey_StoresTheDumpSealedAndRestoresIt()
    {
        var runtime = await _harness.DeployAsync();
        var policy = BackupPolicies.Select(runtime, "db", "hourly").Single();

        var outcome = await _harness.Get<BackupRunner>().RunPolicyAsync(runtime, policy, null, null, CancellationToken.None).WithTimeout();

        var info = await new ServiceBackupStore(Store).GetAsync(outcome.Id).WithTimeout();
        var stored = await File.ReadAllTextAsync(Path.Combine(_harness.Home.Path, "backups", info.DataKey));
        Assert.DoesNotContain("alice", stored, StringComparison.Ordinal);
        Assert.NotNull(info.Encryption);
        Assert.True(outcome.Encrypted);
        Assert.True(Assert.Single(await _harness.Get<BackupListing>().ListAsync(runtime, CancellationToken.None).WithTimeout(), b => b.Id == outcome.Id).Encrypted);
        await _harness.Get<BackupRestorer>().RestoreAsync(runtime, new RestoreSelection("db", null, outcome.Id), CancellationToken.None).WithTimeout();
        Assert.Equal(Dump, await File.ReadAllTextAsync(_harness.ServerRoot.Combine("restored.sql")));
    }

    [Fact]
    public async Task RestoreAsync_BackupOfAnotherDeploymentInSharedStore_RefusedUnlessNamed()
    {
        var runtime = await _harness.DeployAsync();
        var theirs = await new ServiceBackupStore(Store).UploadAsync(
            _harness.ServerRoot.WriteFile("other.sql", "their rows"), new ServiceBackupRequest("other", "db", "other-db-1", "hourly", "db@sha256:test"), BackupKey).WithTimeout();
        var restorer = _harness.Get<BackupRestorer>();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => restorer.RestoreAsync(runtime, new RestoreSelection("db", null, theirs.Id), CancellationToken.None)).WithTimeout();

        Assert.Contains("was made by deployment other, not shop", error.Message, StringComparison.Ordinal);
        Assert.Contains("--from-deployment other", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_harness.ServerRoot.Combine("restored.sql")));
        await restorer.RestoreAsync(runtime, new RestoreSelection("db", null, theirs.Id, FromDeployment: "other"), CancellationToken.None).WithTimeout();
        Assert.Equal("their rows", await File.ReadAllTextAsync(_harness.ServerRoot.Combine("restored.sql")));
    }

    [Fact]
    public async Task RestoreAsync_RestoreHookFails_RecordedAsRestoreFailedWithTheCause_RefusalIsNot()
    {
        var runtime = await _harness.DeployAsync();
        var policy = BackupPolicies.Select(runtime, "db", "hourly").Single();
        var outcome = await _harness.Get<BackupRunner>().RunPolicyAsync(runtime, policy, null, null, CancellationToken.None).WithTimeout();
        _harness.ServerRoot.WriteFile("restore.sh", "echo 'relation customers already exists' >&2; exit 3\n");
        var restorer = _harness.Get<BackupRestorer>();

        await Assert.ThrowsAnyAsync<Exception>(() => restorer.RestoreAsync(runtime, new RestoreSelection("db", null, outcome.Id), CancellationToken.None)).WithTimeout();
        await Assert.ThrowsAsync<NotFoundException>(() => restorer.RestoreAsync(runtime, new RestoreSelection("db", null, "20260101T000000Z-1a2b3c4d"), CancellationToken.None)).WithTimeout();

        var events = await _harness.Get<Strata.ControlPlane.State.IStateStore>().ReadEventsAsync("shop", 0, 1000, CancellationToken.None).WithTimeout();
        var failed = Assert.Single(events, e => e.Kind == EventKinds.BackupRestoreFailed);
        Assert.StartsWith($"restore of tier db from service backup {outcome.Id} (primary store) failed: ", failed.Message, StringComparison.Ordinal);
        Assert.Contains("relation customers already exists", failed.Message, StringComparison.Ordinal);
        Assert.Equal(EventSeverity.Error, failed.Severity);
    }

    [Fact]
    public async Task RestoreAsync_UnderWay_SecondRestoreRefusedAndABackupWaitsForItsEnd()
    {
        var runtime = await _harness.DeployAsync();
        var policy = BackupPolicies.Select(runtime, "db", "hourly").Single();
        var runner = _harness.Get<BackupRunner>();
        var outcome = await runner.RunPolicyAsync(runtime, policy, null, null, CancellationToken.None).WithTimeout();
        // The restore goes on until the test lets it; the backup hook notes whether the restore had ended when it ran.
        _harness.ServerRoot.WriteFile("restore.sh", "touch restoring; while [ ! -f go ]; do sleep 0.05; done; cp \"$STRATA_BACKUP_FILE\" restored.sql\n");
        _harness.ServerRoot.WriteFile("backup.sh", $"test -f restored.sql && echo after > backup-ran; printf \"%s\" \"{Dump}\" > \"$STRATA_BACKUP_FILE\"\n");
        var restorer = _harness.Get<BackupRestorer>();

        var first = restorer.RestoreAsync(runtime, new RestoreSelection("db", null, outcome.Id), CancellationToken.None);
        await Eventually.WaitAsync(() => File.Exists(_harness.ServerRoot.Combine("restoring")), "the first restore's hook to run");
        var second = await Assert.ThrowsAsync<ConflictException>(() => restorer.RestoreAsync(runtime, new RestoreSelection("db", null, outcome.Id), CancellationToken.None)).WithTimeout();
        var backup = runner.RunPolicyAsync(runtime, policy, null, null, CancellationToken.None);
        await Eventually.WaitAsync(() => runtime.TierData.WaitingFor("db") == 1, "the backup to wait for the restore");
        File.WriteAllText(_harness.ServerRoot.Combine("go"), "");
        await first.WithTimeout();
        await backup.WithTimeout();

        Assert.Equal($"a restore from service backup {outcome.Id} of tier db is under way; try again when it has ended (see `strata events`)", second.Message);
        Assert.Equal("after\n", File.ReadAllText(_harness.ServerRoot.Combine("backup-ran")));
        var events = await _harness.Get<Strata.ControlPlane.State.IStateStore>().ReadEventsAsync("shop", 0, 1000, CancellationToken.None).WithTimeout();
        Assert.DoesNotContain(events, e => e.Kind == EventKinds.BackupRestoreFailed);
    }
}
