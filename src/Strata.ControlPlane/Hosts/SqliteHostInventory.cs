using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Strata.Api.Contracts.Agent;
using Strata.ControlPlane.State;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Ssh;

namespace Strata.ControlPlane.Hosts;

/// <summary>The host inventory as a table of the state database.</summary>
internal sealed class SqliteHostInventory(IOptions<SqliteStateStoreOptions> options) : IHostInventory, IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS hosts (
            name TEXT PRIMARY KEY,
            ssh_user TEXT NOT NULL,
            address TEXT NOT NULL,
            ssh_port INTEGER NOT NULL,
            identity TEXT NOT NULL,
            agent_dir TEXT NOT NULL,
            agent_runtime TEXT NOT NULL,
            zone TEXT,
            region TEXT,
            labels TEXT NOT NULL,
            state TEXT NOT NULL,
            agent_version TEXT,
            hostname TEXT,
            cores INTEGER,
            memory_bytes INTEGER,
            disk_bytes INTEGER,
            disk_free_bytes INTEGER,
            last_heartbeat TEXT,
            added_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS host_drains (name TEXT PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS host_volumes (volume_id TEXT PRIMARY KEY, host TEXT NOT NULL, deployment TEXT NOT NULL, tier TEXT NOT NULL, info TEXT);
        """;

    private const string Columns = "name, ssh_user, address, ssh_port, identity, agent_dir, agent_runtime, zone, region, labels, state, "
        + "agent_version, hostname, cores, memory_bytes, disk_bytes, disk_free_bytes, last_heartbeat, added_at";

    private readonly SqliteDatabase _database = new(options.Value.DatabasePath, Schema);

    /// <summary>Closes this inventory's pooled connections, so that the database's files are released.</summary>
    public void Dispose() => _database.Dispose();

    public async Task AddAsync(HostRecord host, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO hosts ({Columns}) VALUES ($name, $user, $address, $port, $identity, $dir, $runtime, $zone, $region, $labels, "
            + "$state, $version, $hostname, $cores, $memory, $disk, $free, $heartbeat, $added)";
        var registration = host.Registration;
        var target = registration.Login.Target;
        command.Parameters.AddWithValue("$name", registration.Name);
        command.Parameters.AddWithValue("$user", target.User);
        command.Parameters.AddWithValue("$address", target.Address);
        command.Parameters.AddWithValue("$port", target.Port);
        command.Parameters.AddWithValue("$identity", registration.Login.IdentityFile);
        command.Parameters.AddWithValue("$dir", registration.AgentDir);
        command.Parameters.AddWithValue("$runtime", registration.AgentRuntime);
        command.Parameters.AddWithValue("$zone", (object?)registration.Zone ?? DBNull.Value);
        command.Parameters.AddWithValue("$region", (object?)registration.Region ?? DBNull.Value);
        command.Parameters.AddWithValue("$labels", JsonSerializer.Serialize(registration.Labels, HostStoreJsonContext.Default.IReadOnlyDictionaryStringString));
        command.Parameters.AddWithValue("$added", host.AddedAt.ToUniversalTime().ToString("O"));
        BindObserved(command, host.State, host.Agent, host.LastHeartbeat);
        try
        {
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19)
        {
            throw new HostExistsException(registration.Name);
        }
    }

    public Task<IReadOnlyList<HostRecord>> ListAsync(CancellationToken ct) => ReadAsync("ORDER BY name", _ => { }, ct);

    public async Task<HostRecord?> FindAsync(string name, CancellationToken ct) =>
        (await ReadAsync("WHERE name = $name", c => c.Parameters.AddWithValue("$name", name), ct).ConfigureAwait(false)) is [var found] ? found : null;

    public async Task<bool> RecordAsync(string name, HostState state, AgentHello? agent, DateTimeOffset? lastHeartbeat, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        // An agent not heard from since this control plane started keeps what it last said.
        command.CommandText = """
            UPDATE hosts SET state = $state, last_heartbeat = COALESCE($heartbeat, last_heartbeat),
                agent_version = COALESCE($version, agent_version), hostname = COALESCE($hostname, hostname), cores = COALESCE($cores, cores),
                memory_bytes = COALESCE($memory, memory_bytes), disk_bytes = COALESCE($disk, disk_bytes), disk_free_bytes = COALESCE($free, disk_free_bytes)
            WHERE name = $name
            """;
        command.Parameters.AddWithValue("$name", name);
        BindObserved(command, state, agent, lastHeartbeat);
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
    }

    public async Task<bool> SetDrainingAsync(string name, bool draining, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = draining
            ? "INSERT OR IGNORE INTO host_drains (name) SELECT name FROM hosts WHERE name = $name; SELECT EXISTS(SELECT 1 FROM host_drains WHERE name = $name)"
            : "DELETE FROM host_drains WHERE name = $name; SELECT EXISTS(SELECT 1 FROM hosts WHERE name = $name)";
        command.Parameters.AddWithValue("$name", name);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture) > 0;
    }

    public async Task<bool> RemoveAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM host_drains WHERE name = $name; DELETE FROM hosts WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
    }

    public async Task RecordVolumeAsync(HostVolume volume, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(volume);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO host_volumes (volume_id, host, deployment, tier, info) VALUES ($id, $host, $deployment, $tier, $info)";
        command.Parameters.AddWithValue("$id", volume.VolumeId);
        command.Parameters.AddWithValue("$host", volume.Host);
        command.Parameters.AddWithValue("$deployment", volume.Deployment);
        command.Parameters.AddWithValue("$tier", volume.Tier);
        command.Parameters.AddWithValue("$info", volume.Volume is { } info ? JsonSerializer.Serialize(info, HostStoreJsonContext.Default.VolumeInfo) : DBNull.Value);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<HostVolume>> ListVolumesAsync(CancellationToken ct) => ReadVolumesAsync("", _ => { }, ct);

    public async Task<HostVolume?> FindVolumeAsync(string volumeId, CancellationToken ct) =>
        (await ReadVolumesAsync("WHERE volume_id = $id", c => c.Parameters.AddWithValue("$id", volumeId), ct).ConfigureAwait(false)).SingleOrDefault();

    private async Task<IReadOnlyList<HostVolume>> ReadVolumesAsync(string clause, Action<SqliteCommand> bind, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT volume_id, host, deployment, tier, info FROM host_volumes {clause} ORDER BY volume_id";
        bind(command);
        var volumes = new List<HostVolume>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var info = reader.IsDBNull(4) ? null : JsonSerializer.Deserialize(reader.GetString(4), HostStoreJsonContext.Default.VolumeInfo);
            volumes.Add(new HostVolume(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), info));
        }

        return volumes;
    }

    public async Task ForgetVolumeAsync(string volumeId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM host_volumes WHERE volume_id = $id";
        command.Parameters.AddWithValue("$id", volumeId);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static void BindObserved(SqliteCommand command, HostState state, AgentHello? agent, DateTimeOffset? lastHeartbeat)
    {
        command.Parameters.AddWithValue("$state", HostStates.Name(state));
        command.Parameters.AddWithValue("$version", (object?)agent?.Version ?? DBNull.Value);
        command.Parameters.AddWithValue("$hostname", (object?)agent?.Hostname ?? DBNull.Value);
        command.Parameters.AddWithValue("$cores", (object?)agent?.Cores ?? DBNull.Value);
        command.Parameters.AddWithValue("$memory", (object?)agent?.MemoryBytes ?? DBNull.Value);
        command.Parameters.AddWithValue("$disk", (object?)agent?.DiskBytes ?? DBNull.Value);
        command.Parameters.AddWithValue("$free", (object?)agent?.DiskFreeBytes ?? DBNull.Value);
        command.Parameters.AddWithValue("$heartbeat", (object?)lastHeartbeat?.ToUniversalTime().ToString("O") ?? DBNull.Value);
    }

    private async Task<IReadOnlyList<HostRecord>> ReadAsync(string clause, Action<SqliteCommand> bind, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns}, EXISTS(SELECT 1 FROM host_drains d WHERE d.name = hosts.name) FROM hosts {clause}";
        bind(command);
        var hosts = new List<HostRecord>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            hosts.Add(Read(reader));
        }

        return hosts;
    }

    private static HostRecord Read(SqliteDataReader reader)
    {
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        var target = new SshTarget { User = reader.GetString(1), Address = reader.GetString(2), Port = reader.GetInt32(3) };
        return new HostRecord
        {
            Registration = new HostRegistration
            {
                Name = reader.GetString(0),
                Login = new SshLogin(target, reader.GetString(4)),
                AgentDir = reader.GetString(5),
                AgentRuntime = reader.GetString(6),
                Zone = Text(7),
                Region = Text(8),
                Labels = JsonSerializer.Deserialize(reader.GetString(9), HostStoreJsonContext.Default.IReadOnlyDictionaryStringString) ?? new Dictionary<string, string>(),
            },
            State = HostStates.Parse(reader.GetString(10)),
            Agent = Text(11) is { } version ? new AgentHello
            {
                Version = version, Hostname = Text(12) ?? "", Cores = reader.GetInt32(13), MemoryBytes = reader.GetInt64(14),
                DiskBytes = reader.GetInt64(15), DiskFreeBytes = reader.GetInt64(16),
            } : null,
            LastHeartbeat = Text(17) is { } heartbeat ? DateTimeOffset.Parse(heartbeat, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null,
            AddedAt = DateTimeOffset.Parse(reader.GetString(18), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            Draining = reader.GetBoolean(19),
        };
    }

    private Task<SqliteConnection> OpenAsync(CancellationToken ct) => _database.OpenAsync(ct);
}

/// <summary>Host states as the API and the state store write them: <c>ready</c>, <c>draining</c>, <c>unreachable</c>, <c>lost</c>.</summary>
public static class HostStates
{
    public static string Name(HostState state) => state switch
    {
        HostState.Ready => "ready",
        HostState.Draining => "draining",
        HostState.Unreachable => "unreachable",
        HostState.Lost => "lost",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static HostState Parse(string name) => name switch
    {
        "ready" => HostState.Ready,
        "draining" => HostState.Draining,
        "unreachable" => HostState.Unreachable,
        "lost" => HostState.Lost,
        _ => throw new InvalidDataException($"the state store holds a host in unknown state '{name}'"),
    };
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Providers.VolumeInfo))]
internal sealed partial class HostStoreJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
