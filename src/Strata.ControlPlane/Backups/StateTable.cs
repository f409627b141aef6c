using Microsoft.Data.Sqlite;

namespace Strata.ControlPlane.Backups;

/// <summary>
/// A table of its own in the control plane's <c>state.db</c>, created on first use, so that backup bookkeeping
/// needs no change to the state store's schema.
/// </summary>
internal sealed class StateTable(string databasePath, string createStatement)
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = databasePath,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    private volatile bool _created;

    public async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        if (!_created)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
            await using var command = connection.CreateCommand();
            command.CommandText = createStatement;
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            _created = true;
        }

        return connection;
    }
}
