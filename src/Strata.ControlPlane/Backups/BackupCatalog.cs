using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.State;

namespace Strata.ControlPlane.Backups;

/// <summary>
/// The <see cref="BackupRecord"/> of every backup policy, kept in a table of its own in the control plane's
/// <c>state.db</c> (created when missing) and published to <see cref="BackupStatusBoard"/> for the status document.
/// </summary>
public sealed class BackupCatalog(IOptions<ControlPlaneOptions> options, DeploymentRegistry registry) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SqliteDatabase _database = new(options.Value.Paths.StateDatabase, """
        CREATE TABLE IF NOT EXISTS backup_records (
            deployment TEXT NOT NULL,
            tier TEXT NOT NULL,
            policy TEXT NOT NULL,
            record TEXT NOT NULL,
            PRIMARY KEY (deployment, tier, policy));
        """);

    /// <summary>Closes the pooled connections to <c>state.db</c>, so that its files are released.</summary>
    public void Dispose() => _database.Dispose();

    public async Task<IReadOnlyList<BackupRecord>> ListAsync(string deployment, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT record FROM backup_records WHERE deployment = $d ORDER BY tier, policy";
        command.Parameters.AddWithValue("$d", deployment);
        var records = new List<BackupRecord>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            records.Add(JsonSerializer.Deserialize(reader.GetString(0), BackupCatalogJsonContext.Default.BackupRecord)!);
        }

        return records;
    }

    /// <summary>Changes one policy's record (creating it when missing) and publishes the deployment's records.</summary>
    public async Task<BackupRecord> UpdateAsync(string deployment, string tier, string policy, string kind, Func<BackupRecord, BackupRecord> change, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var records = await ListAsync(deployment, ct).ConfigureAwait(false);
            var current = records.FirstOrDefault(r => r.Tier == tier && r.Policy == policy)
                ?? new BackupRecord { Deployment = deployment, Tier = tier, Policy = policy, Kind = kind };
            var next = change(current);
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO backup_records (deployment, tier, policy, record) VALUES ($d, $t, $p, $r)
                ON CONFLICT (deployment, tier, policy) DO UPDATE SET record = excluded.record
                """;
            command.Parameters.AddWithValue("$d", deployment);
            command.Parameters.AddWithValue("$t", tier);
            command.Parameters.AddWithValue("$p", policy);
            command.Parameters.AddWithValue("$r", JsonSerializer.Serialize(next, BackupCatalogJsonContext.Default.BackupRecord));
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            Publish(deployment, [.. records.Where(r => r.Tier != tier || r.Policy != policy), next]);
            return next;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Publishes the stored records of a deployment whose runtime has none on the board yet (after a restart).</summary>
    public async Task PublishIfMissingAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        if (!BackupStatusBoard.Has(runtime))
        {
            BackupStatusBoard.Set(runtime, await ListAsync(runtime.Name, ct).ConfigureAwait(false));
        }
    }

    private void Publish(string deployment, IReadOnlyList<BackupRecord> records)
    {
        if (registry.Find(deployment) is { } runtime)
        {
            BackupStatusBoard.Set(runtime, [.. records.OrderBy(r => r.Tier, StringComparer.Ordinal).ThenBy(r => r.Policy, StringComparer.Ordinal)]);
        }
    }

    private Task<SqliteConnection> OpenAsync(CancellationToken ct) => _database.OpenAsync(ct);
}

/// <summary>
/// The latest backup records of each deployment runtime, for the status document, which is built without services.
/// Keyed by the runtime object, so several control planes in one process never see each other's records.
/// </summary>
public static class BackupStatusBoard
{
    private static readonly ConditionalWeakTable<DeploymentRuntime, IReadOnlyList<BackupRecord>> s_records = [];

    public static IReadOnlyList<BackupRecord> Of(DeploymentRuntime runtime) => s_records.TryGetValue(runtime, out var records) ? records : [];

    internal static bool Has(DeploymentRuntime runtime) => s_records.TryGetValue(runtime, out _);

    internal static void Set(DeploymentRuntime runtime, IReadOnlyList<BackupRecord> records) => s_records.AddOrUpdate(runtime, records);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(BackupRecord))]
internal sealed partial class BackupCatalogJsonContext : JsonSerializerContext;
