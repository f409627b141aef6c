using Microsoft.Data.Sqlite;
using Strata.ControlPlane.State;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.State;

[Trait("kind", "unit")]
public sealed class SqliteDatabaseTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const string Schema = "CREATE TABLE IF NOT EXISTS notes (text TEXT NOT NULL);";

    private readonly TemporaryDirectory _folder = new("strata-sqlite");

    private string DatabasePath => _folder.Combine("home", "state.db");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task OpenAsync_NewFileInMissingFolder_CreatesBothOwnerOnlyAndWalFilesTakeItsMode()
    {
        using var database = new SqliteDatabase(DatabasePath, "PRAGMA journal_mode = WAL; " + Schema);

        await using var connection = await database.OpenAsync(CancellationToken.None).WithTimeout();
        await ExecuteAsync(connection, "INSERT INTO notes VALUES ('secret')");

        // The open connection keeps -wal and -shm in place while their modes are read.
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(DatabasePath));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(DatabasePath + "-wal"));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(DatabasePath + "-shm"));
    }

    [Fact]
    public async Task OpenAsync_FileRemovedAfterCreation_FailsInsteadOfSqliteCreatingItWithTheUmask()
    {
        using var database = new SqliteDatabase(DatabasePath, Schema);
        await (await database.OpenAsync(CancellationToken.None).WithTimeout()).DisposeAsync();
        database.Dispose();
        File.Delete(DatabasePath);

        await Assert.ThrowsAsync<SqliteException>(() => database.OpenAsync(CancellationToken.None).WithTimeout());
        Assert.False(File.Exists(DatabasePath), "only the owner-only creation on first use may create the file");
    }

    [Fact]
    public async Task OpenAsync_ExistingFilesReadableByOthers_NarrowedToOwnerOnly()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        await using (var created = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await created.OpenAsync().WithTimeout();
            await ExecuteAsync(created, "CREATE TABLE earlier (x INTEGER)");
        }

        File.SetUnixFileMode(DatabasePath, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using var database = new SqliteDatabase(DatabasePath, Schema);

        await (await database.OpenAsync(CancellationToken.None).WithTimeout()).DisposeAsync();

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(DatabasePath));
    }

    [Fact]
    public async Task OpenAsync_ConcurrentFirstUse_RunsTheSchemaOnce()
    {
        // Not idempotent on purpose: each run of the schema leaves one row.
        using var database = new SqliteDatabase(DatabasePath, "CREATE TABLE IF NOT EXISTS runs (n INTEGER); INSERT INTO runs VALUES (1);");
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var opens = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            await using var connection = await database.OpenAsync(CancellationToken.None);
        })).ToList();
        start.SetResult();
        await Task.WhenAll(opens).WithTimeout();

        await using var connection = await database.OpenAsync(CancellationToken.None).WithTimeout();
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM runs";
        Assert.Equal(1L, await count.ExecuteScalarAsync().WithTimeout());
    }

    [Fact]
    public async Task Dispose_OneConnectionIdleInThePoolOneInUse_EveryHandleOnTheFileIsClosed()
    {
        var database = new SqliteDatabase(DatabasePath, Schema);
        var inUse = await database.OpenAsync(CancellationToken.None).WithTimeout();
        await using (var idle = await database.OpenAsync(CancellationToken.None).WithTimeout())
        {
            await ExecuteAsync(idle, "INSERT INTO notes VALUES ('x')");
        }

        Assert.True(OpenHandlesOn(DatabasePath) > 0, "no handle on the file while a connection is open");

        database.Dispose();
        await inUse.DisposeAsync();

        // The idle one is closed by the dispose, the one in use when it is given back instead of being pooled.
        Assert.Equal(0, OpenHandlesOn(DatabasePath));
    }

    private static int OpenHandlesOn(string path)
    {
        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                count += new FileInfo(fd).LinkTarget == path ? 1 : 0;
            }
            catch (IOException)
            {
                // Another thread closed this descriptor after it was listed: it is on no file now.
            }
        }

        return count;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync().WithTimeout();
    }
}
