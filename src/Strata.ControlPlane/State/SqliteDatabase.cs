using Microsoft.Data.Sqlite;

namespace Strata.ControlPlane.State;

/// <summary>
/// A SQLite file as the control plane's stores share it (<c>state.db</c>): created readable by its owner only,
/// its schema made once on first use however many callers race to it, and its pooled connections closed on
/// dispose so that the file is released (and can be deleted).
/// </summary>
/// <param name="path">The database file; its folder is created when missing.</param>
/// <param name="schema">Statements run once, on the first connection this instance opens; they must be idempotent
/// (<c>CREATE TABLE IF NOT EXISTS</c>), as other instances over the same file run theirs too.</param>
internal sealed class SqliteDatabase(string path, string schema) : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // Every store over state.db builds this same string, so they share one pool. ReadWrite, not ReadWriteCreate:
    // the file is created here with its mode, never by SQLite with the process's umask.
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWrite,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private volatile bool _created;

    public string Path => path;

    /// <summary>An open connection, after the file and the schema have been created if this is the first.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        if (!_created)
        {
            await CreateAsync(ct).ConfigureAwait(false);
        }

        return await ConnectAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Closes the pooled connections to this file, so that its files are released.</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    private async Task CreateAsync(CancellationToken ct)
    {
        await _schemaGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_created)
            {
                return;
            }

            CreateOwnerOnly();
            await using var connection = await ConnectAsync(ct).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = schema;
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            _created = true;
        }
        finally
        {
            _schemaGate.Release();
        }
    }

    private async Task<SqliteConnection> ConnectAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Creates the file with mode 0600 from the start (it holds parameters, which include secrets), and narrows one
    /// an earlier version left wider, with its journal files. SQLite gives the journal files it creates later the
    /// database's mode.
    /// </summary>
    private void CreateOwnerOnly()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        using (new FileStream(path, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, UnixCreateMode = OwnerOnly }))
        {
        }

        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            if (File.Exists(file) && File.GetUnixFileMode(file) != OwnerOnly)
            {
                File.SetUnixFileMode(file, OwnerOnly);
            }
        }
    }
}
