using System.Globalization;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.State;

namespace Strata.ControlPlane.Backups;

/// <summary>A backup waiting to be copied to its deployment's disaster-recovery store.</summary>
/// <param name="Attempts">How many copies failed so far.</param>
/// <param name="NextAttemptAt">When the copy is next due.</param>
public sealed record PendingCopy(string Deployment, string Tier, string Policy, string BackupId, int Attempts, DateTimeOffset NextAttemptAt);

/// <summary>
/// The copies to the disaster-recovery store not done yet, in the <c>dr_copies</c> table of <c>state.db</c>: a
/// copy is recorded before the backup is reported done and removed only once the copy is verified, so a control
/// plane that stops (or dies) in between resumes it when it starts again.
/// </summary>
public sealed class DisasterRecoveryQueue(IOptions<ControlPlaneOptions> options) : IDisposable
{
    private readonly SqliteDatabase _database = new(options.Value.Paths.StateDatabase, """
        CREATE TABLE IF NOT EXISTS dr_copies (
            deployment TEXT NOT NULL,
            backup_id TEXT NOT NULL,
            tier TEXT NOT NULL,
            policy TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_attempt_at TEXT NOT NULL,
            PRIMARY KEY (deployment, backup_id));
        """);

    /// <summary>Closes the pooled connections to <c>state.db</c>, so that its files are released.</summary>
    public void Dispose() => _database.Dispose();

    public async Task AddAsync(PendingCopy copy, CancellationToken ct)
    {
        await using var connection = await _database.OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO dr_copies (deployment, backup_id, tier, policy, attempts, next_attempt_at) VALUES ($d, $b, $t, $p, $a, $n)
            ON CONFLICT (deployment, backup_id) DO UPDATE SET attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at
            """;
        command.Parameters.AddWithValue("$d", copy.Deployment);
        command.Parameters.AddWithValue("$b", copy.BackupId);
        command.Parameters.AddWithValue("$t", copy.Tier);
        command.Parameters.AddWithValue("$p", copy.Policy);
        command.Parameters.AddWithValue("$a", copy.Attempts);
        command.Parameters.AddWithValue("$n", copy.NextAttemptAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Every pending copy, due or not, oldest first.</summary>
    public async Task<IReadOnlyList<PendingCopy>> ListAsync(CancellationToken ct)
    {
        await using var connection = await _database.OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT deployment, tier, policy, backup_id, attempts, next_attempt_at FROM dr_copies ORDER BY backup_id";
        var copies = new List<PendingCopy>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            copies.Add(new PendingCopy(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                DateTimeOffset.Parse(reader.GetString(5), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)));
        }

        return copies;
    }

    public async Task RemoveAsync(string deployment, string backupId, CancellationToken ct)
    {
        await using var connection = await _database.OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM dr_copies WHERE deployment = $d AND backup_id = $b";
        command.Parameters.AddWithValue("$d", deployment);
        command.Parameters.AddWithValue("$b", backupId);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
