using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.State;

namespace Strata.ControlPlane.Access;

/// <summary>
/// Tokens and the audit log in the state database, in tables of their own created on first use.
/// </summary>
internal sealed class SqliteAccessStore(IOptions<SqliteStateStoreOptions> options) : IAccessStore, IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS tokens (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            expires_at TEXT);
        CREATE TABLE IF NOT EXISTS audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time TEXT NOT NULL,
            token TEXT,
            role TEXT,
            remote TEXT NOT NULL,
            method TEXT NOT NULL,
            route TEXT NOT NULL,
            deployment TEXT,
            status INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS audit_by_deployment ON audit (deployment, id);
        """;

    private readonly SqliteDatabase _database = new(options.Value.DatabasePath, Schema);

    /// <summary>Closes this store's pooled connections, so that the database's files are released.</summary>
    public void Dispose() => _database.Dispose();

    public async Task<ApiToken?> FindByHashAsync(string hash, CancellationToken ct)
    {
        var found = await ReadTokensAsync("WHERE hash = $hash", c => c.Parameters.AddWithValue("$hash", hash), ct).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    public Task<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken ct) => ReadTokensAsync("ORDER BY name", _ => { }, ct);

    public async Task AddTokenAsync(ApiToken token, CancellationToken ct)
    {
        try
        {
            await WriteTokenAsync("INSERT", token, ct).ConfigureAwait(false);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19)
        {
            throw new TokenExistsException(token.Name);
        }
    }

    public Task PutTokenAsync(ApiToken token, CancellationToken ct) => WriteTokenAsync("INSERT OR REPLACE", token, ct);

    public async Task<bool> RevokeTokenAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM tokens WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
    }

    public async Task AppendAuditAsync(AuditEntry entry, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO audit (time, token, role, remote, method, route, deployment, status)
            VALUES ($time, $token, $role, $remote, $method, $route, $deployment, $status)
            """;
        command.Parameters.AddWithValue("$time", entry.Time.ToUniversalTime().ToString("O"));
        command.Parameters.AddWithValue("$token", (object?)entry.Token ?? DBNull.Value);
        command.Parameters.AddWithValue("$role", (object?)entry.Role?.Name() ?? DBNull.Value);
        command.Parameters.AddWithValue("$remote", entry.Remote);
        command.Parameters.AddWithValue("$method", entry.Method);
        command.Parameters.AddWithValue("$route", entry.Route);
        command.Parameters.AddWithValue("$deployment", (object?)entry.Deployment ?? DBNull.Value);
        command.Parameters.AddWithValue("$status", entry.Status);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(AuditQuery query, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        // The newest entries that match, returned oldest first; times are stored as UTC round-trip text, which sorts.
        command.CommandText = """
            SELECT id, time, token, role, remote, method, route, deployment, status FROM (
                SELECT * FROM audit
                WHERE ($deployment IS NULL OR deployment = $deployment) AND ($since IS NULL OR time >= $since)
                ORDER BY id DESC LIMIT $max)
            ORDER BY id
            """;
        command.Parameters.AddWithValue("$deployment", (object?)query.Deployment ?? DBNull.Value);
        command.Parameters.AddWithValue("$since", (object?)query.Since?.ToUniversalTime().ToString("O") ?? DBNull.Value);
        command.Parameters.AddWithValue("$max", query.Max);
        var entries = new List<AuditEntry>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            entries.Add(new AuditEntry
            {
                Id = reader.GetInt64(0),
                Time = ParseTime(reader.GetString(1)),
                Token = reader.IsDBNull(2) ? null : reader.GetString(2),
                Role = reader.IsDBNull(3) ? null : ParseRole(reader.GetString(3)),
                Remote = reader.GetString(4),
                Method = reader.GetString(5),
                Route = reader.GetString(6),
                Deployment = reader.IsDBNull(7) ? null : reader.GetString(7),
                Status = reader.GetInt32(8),
            });
        }

        return entries;
    }

    private async Task WriteTokenAsync(string verb, ApiToken token, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"{verb} INTO tokens (name, role, hash, created_at, expires_at) VALUES ($name, $role, $hash, $created, $expires)";
        command.Parameters.AddWithValue("$name", token.Name);
        command.Parameters.AddWithValue("$role", token.Role.Name());
        command.Parameters.AddWithValue("$hash", token.Hash);
        command.Parameters.AddWithValue("$created", token.CreatedAt.ToUniversalTime().ToString("O"));
        command.Parameters.AddWithValue("$expires", (object?)token.ExpiresAt?.ToUniversalTime().ToString("O") ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<ApiToken>> ReadTokensAsync(string clause, Action<SqliteCommand> bind, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT name, role, hash, created_at, expires_at FROM tokens {clause}";
        bind(command);
        var tokens = new List<ApiToken>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            tokens.Add(new ApiToken
            {
                Name = reader.GetString(0),
                Role = ParseRole(reader.GetString(1)),
                Hash = reader.GetString(2),
                CreatedAt = ParseTime(reader.GetString(3)),
                ExpiresAt = reader.IsDBNull(4) ? null : ParseTime(reader.GetString(4)),
            });
        }

        return tokens;
    }

    private Task<SqliteConnection> OpenAsync(CancellationToken ct) => _database.OpenAsync(ct);

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static TokenRole ParseRole(string text) =>
        TokenRoles.TryParse(text, out var role) ? role : throw new InvalidDataException($"the state store holds a token of unknown role '{text}'");
}
