using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Strata.Api.Contracts.Events;
using Strata.Planning.State;

namespace Strata.ControlPlane.State;

/// <summary>Options of the SQLite state store.</summary>
public sealed class SqliteStateStoreOptions
{
    /// <summary>The database file. The default is <c>state.db</c> under the Strata home folder.</summary>
    public string DatabasePath { get; set; } = "";
}

/// <summary>
/// Keeps deployments and events in one SQLite file in WAL mode. Each deployment is one row whose serial is checked on
/// save, so a state change is atomic and lost updates are refused rather than silently merged.
/// </summary>
internal sealed class SqliteStateStore(IOptions<SqliteStateStoreOptions> options, TimeProvider time) : IStateStore, IDisposable
{
    private const string Schema = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS deployments (
            name TEXT PRIMARY KEY,
            serial INTEGER NOT NULL,
            spec_path TEXT NOT NULL,
            spec_text TEXT NOT NULL,
            parameters TEXT NOT NULL,
            state TEXT NOT NULL,
            status TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            previous TEXT);
        CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            deployment TEXT NOT NULL,
            time TEXT NOT NULL,
            kind TEXT NOT NULL,
            resource TEXT,
            severity TEXT NOT NULL,
            message TEXT NOT NULL,
            tier TEXT,
            server TEXT,
            from_state TEXT,
            to_state TEXT,
            rollback TEXT);
        CREATE INDEX IF NOT EXISTS events_by_deployment ON events (deployment, id);
        """;

    private readonly SqliteDatabase _database = new(options.Value.DatabasePath, Schema);

    public string Name => "sqlite";

    /// <summary>Closes this store's pooled connections, so that its files are released (and can be deleted).</summary>
    public void Dispose() => _database.Dispose();

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds columns that later versions introduced to a database an earlier version created.</summary>
    private static async Task MigrateAsync(SqliteConnection connection, CancellationToken ct)
    {
        string[] added = ["deployments.previous", "events.tier", "events.server", "events.from_state", "events.to_state", "events.rollback"];
        foreach (var (table, column) in added.Select(c => (c[..c.IndexOf('.')], c[(c.IndexOf('.') + 1)..])))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
            if ((long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 0)
            {
                await ExecuteAsync(connection, $"ALTER TABLE {table} ADD COLUMN {column} TEXT", ct).ConfigureAwait(false);
            }
        }
    }

    public async Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, serial, spec_path, spec_text, parameters, state, status, updated_at, previous FROM deployments ORDER BY name";
        return await ReadDeploymentsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<DeploymentRecord?> GetDeploymentAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, serial, spec_path, spec_text, parameters, state, status, updated_at, previous FROM deployments WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        var rows = await ReadDeploymentsAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<DeploymentRecord> SaveDeploymentAsync(DeploymentRecord record, long expectedSerial, CancellationToken cancellationToken)
    {
        // A caller that coalesces several changes into one save may move the serial on by more than one.
        var saved = record with { Serial = Math.Max(record.Serial, expectedSerial + 1), UpdatedAt = time.GetUtcNow() };
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var current = await ReadSerialAsync(connection, transaction, record.Name, cancellationToken).ConfigureAwait(false);
        if ((current ?? 0) != expectedSerial)
        {
            throw new StateConflictException(record.Name, expectedSerial, current ?? 0);
        }

        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO deployments (name, serial, spec_path, spec_text, parameters, state, status, updated_at, previous)
            VALUES ($name, $serial, $specPath, $specText, $parameters, $state, $status, $updatedAt, $previous)
            ON CONFLICT (name) DO UPDATE SET serial = $serial, spec_path = $specPath, spec_text = $specText,
                parameters = $parameters, state = $state, status = $status, updated_at = $updatedAt, previous = $previous
            """;
        command.Parameters.AddWithValue("$name", saved.Name);
        command.Parameters.AddWithValue("$serial", saved.Serial);
        command.Parameters.AddWithValue("$specPath", saved.SpecPath);
        command.Parameters.AddWithValue("$specText", saved.SpecText);
        command.Parameters.AddWithValue("$parameters", JsonSerializer.Serialize(saved.Parameters, StoreJsonContext.Default.IReadOnlyDictionaryStringString));
        command.Parameters.AddWithValue("$state", saved.StateJson);
        command.Parameters.AddWithValue("$status", saved.Status.ToString());
        command.Parameters.AddWithValue("$updatedAt", saved.UpdatedAt.ToString("O"));
        command.Parameters.AddWithValue("$previous", saved.Previous is null ? DBNull.Value : JsonSerializer.Serialize(saved.Previous, StoreJsonContext.Default.AppliedInput));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return saved;
    }

    public async Task DeleteDeploymentAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var sql in new[] { "DELETE FROM deployments WHERE name = $name", "DELETE FROM events WHERE deployment = $name" })
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            command.Parameters.AddWithValue("$name", name);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> PruneEventsAsync(int keepPerDeployment, DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keepPerDeployment, 1);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        // Times are stored with the offset they were made with: julianday compares instants, not text.
        command.CommandText = """
            DELETE FROM events WHERE julianday(time) < julianday($olderThan) OR id IN (
                SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY deployment ORDER BY id DESC) AS newer FROM events)
                WHERE newer > $keep)
            """;
        command.Parameters.AddWithValue("$olderThan", olderThan.ToString("O"));
        command.Parameters.AddWithValue("$keep", keepPerDeployment);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<DeploymentEvent> AppendEventAsync(DeploymentEvent deploymentEvent, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO events (deployment, time, kind, resource, severity, message, tier, server, from_state, to_state, rollback)
            VALUES ($deployment, $time, $kind, $resource, $severity, $message, $tier, $server, $fromState, $toState, $rollback) RETURNING id
            """;
        command.Parameters.AddWithValue("$deployment", deploymentEvent.Deployment);
        command.Parameters.AddWithValue("$time", deploymentEvent.Time.ToString("O"));
        command.Parameters.AddWithValue("$kind", deploymentEvent.Kind);
        command.Parameters.AddWithValue("$resource", (object?)deploymentEvent.Resource ?? DBNull.Value);
        command.Parameters.AddWithValue("$severity", deploymentEvent.Severity.ToString());
        command.Parameters.AddWithValue("$message", deploymentEvent.Message);
        command.Parameters.AddWithValue("$tier", (object?)deploymentEvent.Tier ?? DBNull.Value);
        command.Parameters.AddWithValue("$server", (object?)deploymentEvent.Server ?? DBNull.Value);
        command.Parameters.AddWithValue("$fromState", (object?)deploymentEvent.FromState?.ToString() ?? DBNull.Value);
        command.Parameters.AddWithValue("$toState", (object?)deploymentEvent.ToState?.ToString() ?? DBNull.Value);
        command.Parameters.AddWithValue("$rollback", (object?)deploymentEvent.Rollback?.ToString() ?? DBNull.Value);
        var id = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return deploymentEvent with { Id = id };
    }

    public async Task<IReadOnlyList<DeploymentEvent>> ReadEventsAsync(string deployment, long afterId, int max, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, deployment, time, kind, resource, severity, message, tier, server, from_state, to_state, rollback FROM events
            WHERE deployment = $deployment AND id > $after ORDER BY id LIMIT $max
            """;
        command.Parameters.AddWithValue("$deployment", deployment);
        command.Parameters.AddWithValue("$after", afterId);
        command.Parameters.AddWithValue("$max", max);
        var events = new List<DeploymentEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            events.Add(new DeploymentEvent
            {
                Id = reader.GetInt64(0),
                Deployment = reader.GetString(1),
                Time = DateTimeOffset.Parse(reader.GetString(2), System.Globalization.CultureInfo.InvariantCulture),
                Kind = reader.GetString(3),
                Resource = reader.IsDBNull(4) ? null : reader.GetString(4),
                Severity = Enum.Parse<EventSeverity>(reader.GetString(5)),
                Message = reader.GetString(6),
                Tier = reader.IsDBNull(7) ? null : reader.GetString(7),
                Server = reader.IsDBNull(8) ? null : reader.GetString(8),
                FromState = reader.IsDBNull(9) ? null : Enum.Parse<ServerPhase>(reader.GetString(9)),
                ToState = reader.IsDBNull(10) ? null : Enum.Parse<ServerPhase>(reader.GetString(10)),
                Rollback = reader.IsDBNull(11) ? null : Enum.Parse<RollbackResult>(reader.GetString(11)),
            });
        }

        return events;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);

        // In WAL mode NORMAL survives a crash of the process (only a power loss can drop the last commits) and
        // saves an fsync per commit, which launches of many servers at once would otherwise queue behind.
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous = NORMAL";
        await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<long?> ReadSerialAsync(SqliteConnection connection, SqliteTransaction transaction, string name, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT serial FROM deployments WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is long serial ? serial : null;
    }

    private static async Task<IReadOnlyList<DeploymentRecord>> ReadDeploymentsAsync(SqliteCommand command, CancellationToken ct)
    {
        var records = new List<DeploymentRecord>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            records.Add(new DeploymentRecord
            {
                Name = reader.GetString(0),
                Serial = reader.GetInt64(1),
                SpecPath = reader.GetString(2),
                SpecText = reader.GetString(3),
                Parameters = JsonSerializer.Deserialize(reader.GetString(4), StoreJsonContext.Default.IReadOnlyDictionaryStringString) ?? new Dictionary<string, string>(),
                StateJson = reader.GetString(5),
                Status = Enum.Parse<DeploymentStatus>(reader.GetString(6)),
                UpdatedAt = DateTimeOffset.Parse(reader.GetString(7), System.Globalization.CultureInfo.InvariantCulture),
                Previous = reader.IsDBNull(8) ? null : JsonSerializer.Deserialize(reader.GetString(8), StoreJsonContext.Default.AppliedInput),
            });
        }

        return records;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(AppliedInput))]
internal sealed partial class StoreJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
