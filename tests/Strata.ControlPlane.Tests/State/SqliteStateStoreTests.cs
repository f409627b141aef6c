using Strata.Api.Contracts.Events;
using Strata.ControlPlane.State;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.State;

[Trait("kind", "unit")]
public sealed class SqliteStateStoreTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.FromHours(1)));
    private readonly ControlPlaneServices _services;
    private IStateStore _store = null!;

    public SqliteStateStoreTests() => _services = new ControlPlaneServices(_clock);

    public async Task InitializeAsync() => _store = await _services.InitializedStoreAsync();

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public void Name_IsSqlite()
    {
        Assert.Equal("sqlite", _store.Name);
    }

    [Fact]
    public async Task SaveDeploymentAsync_NewRecord_RoundTripsThroughGet()
    {
        var record = Record("shop") with
        {
            Parameters = new Dictionary<string, string> { ["dbPassword"] = "s3cret", ["region"] = "eu" },
            Status = DeploymentStatus.Deleting,
        };

        var saved = await _store.SaveDeploymentAsync(record, expectedSerial: 0, CancellationToken.None).WithTimeout();
        var read = await _store.GetDeploymentAsync("shop", CancellationToken.None).WithTimeout();

        Assert.Equal(1, saved.Serial);
        Assert.Equal(_clock.GetUtcNow(), saved.UpdatedAt);
        Assert.NotNull(read);
        Assert.Equal(saved.Serial, read.Serial);
        Assert.Equal(record.SpecPath, read.SpecPath);
        Assert.Equal(record.SpecText, read.SpecText);
        Assert.Equal(record.StateJson, read.StateJson);
        Assert.Equal(DeploymentStatus.Deleting, read.Status);
        Assert.Equal(saved.UpdatedAt, read.UpdatedAt);
        Assert.Equal(record.Parameters.OrderBy(p => p.Key), read.Parameters.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task GetDeploymentAsync_Unknown_ReturnsNull()
    {
        Assert.Null(await _store.GetDeploymentAsync("missing", CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task ListDeploymentsAsync_SeveralSaved_ListsAllByName()
    {
        await _store.SaveDeploymentAsync(Record("zeta"), 0, CancellationToken.None).WithTimeout();
        await _store.SaveDeploymentAsync(Record("alpha"), 0, CancellationToken.None).WithTimeout();
        await _store.SaveDeploymentAsync(Record("mid"), 0, CancellationToken.None).WithTimeout();

        var all = await _store.ListDeploymentsAsync(CancellationToken.None).WithTimeout();

        Assert.Equal(["alpha", "mid", "zeta"], all.Select(r => r.Name));
    }

    [Fact]
    public async Task SaveDeploymentAsync_EachSave_IncrementsSerialAndReplacesContent()
    {
        var first = await _store.SaveDeploymentAsync(Record("shop"), 0, CancellationToken.None).WithTimeout();
        _clock.Advance(TimeSpan.FromMinutes(1));
        var second = await _store.SaveDeploymentAsync(first with { StateJson = """{"name":"shop","serial":2}""" }, first.Serial, CancellationToken.None).WithTimeout();
        var third = await _store.SaveDeploymentAsync(second, second.Serial, CancellationToken.None).WithTimeout();
        var read = await _store.GetDeploymentAsync("shop", CancellationToken.None).WithTimeout();

        Assert.Equal([1L, 2L, 3L], [first.Serial, second.Serial, third.Serial]);
        Assert.Equal(3, read!.Serial);
        Assert.Equal("""{"name":"shop","serial":2}""", read.StateJson);
        Assert.Equal(first.UpdatedAt + TimeSpan.FromMinutes(1), read.UpdatedAt);
        Assert.Single(await _store.ListDeploymentsAsync(CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task SaveDeploymentAsync_StaleExpectedSerial_ThrowsAndKeepsStoredRecord()
    {
        var first = await _store.SaveDeploymentAsync(Record("shop"), 0, CancellationToken.None).WithTimeout();
        await _store.SaveDeploymentAsync(first with { SpecText = "winner" }, first.Serial, CancellationToken.None).WithTimeout();

        var conflict = await Assert.ThrowsAsync<StateConflictException>(
            () => _store.SaveDeploymentAsync(first with { SpecText = "loser" }, first.Serial, CancellationToken.None).WithTimeout());
        var read = await _store.GetDeploymentAsync("shop", CancellationToken.None).WithTimeout();

        Assert.Contains("expected serial 1, found 2", conflict.Message);
        Assert.Equal(2, read!.Serial);
        Assert.Equal("winner", read.SpecText);
    }

    [Fact]
    public async Task SaveDeploymentAsync_NewRecordWithNonZeroExpectedSerial_Throws()
    {
        await Assert.ThrowsAsync<StateConflictException>(
            () => _store.SaveDeploymentAsync(Record("shop"), 4, CancellationToken.None).WithTimeout());

        Assert.Null(await _store.GetDeploymentAsync("shop", CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task SaveDeploymentAsync_ExistingRecordSavedAsNew_Throws()
    {
        await _store.SaveDeploymentAsync(Record("shop"), 0, CancellationToken.None).WithTimeout();

        await Assert.ThrowsAsync<StateConflictException>(
            () => _store.SaveDeploymentAsync(Record("shop"), 0, CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task DeleteDeploymentAsync_Saved_RemovesIt()
    {
        await _store.SaveDeploymentAsync(Record("shop"), 0, CancellationToken.None).WithTimeout();

        await _store.DeleteDeploymentAsync("shop", CancellationToken.None).WithTimeout();

        Assert.Null(await _store.GetDeploymentAsync("shop", CancellationToken.None).WithTimeout());
        Assert.Empty(await _store.ListDeploymentsAsync(CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task DeleteDeploymentAsync_WithEvents_DeletesItsEventsOnly()
    {
        await _store.SaveDeploymentAsync(Record("shop"), 0, CancellationToken.None).WithTimeout();
        await _store.AppendEventAsync(Event("shop", "mine"), CancellationToken.None).WithTimeout();
        var other = await _store.AppendEventAsync(Event("other", "not mine"), CancellationToken.None).WithTimeout();

        await _store.DeleteDeploymentAsync("shop", CancellationToken.None).WithTimeout();

        Assert.Empty(await _store.ReadEventsAsync("shop", 0, 10, CancellationToken.None).WithTimeout());
        Assert.Equal([other], await _store.ReadEventsAsync("other", 0, 10, CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task PruneEventsAsync_TimesWithDifferentOffsets_ComparesInstants()
    {
        // 12:30+01:00 is 11:30 UTC: older than 11:45 UTC although its text sorts after it.
        var older = Event("shop", "older") with { Time = new DateTimeOffset(2026, 3, 1, 12, 30, 0, TimeSpan.FromHours(1)) };
        var newer = Event("shop", "newer") with { Time = new DateTimeOffset(2026, 3, 1, 11, 50, 0, TimeSpan.Zero) };
        await _store.AppendEventAsync(older, CancellationToken.None).WithTimeout();
        var kept = await _store.AppendEventAsync(newer, CancellationToken.None).WithTimeout();

        var pruned = await _store.PruneEventsAsync(10, new DateTimeOffset(2026, 3, 1, 11, 45, 0, TimeSpan.Zero), CancellationToken.None).WithTimeout();

        Assert.Equal(1, pruned);
        Assert.Equal([kept], await _store.ReadEventsAsync("shop", 0, 10, CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task AppendEventAsync_SeveralEvents_AssignsRisingIds()
    {
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await _store.AppendEventAsync(Event("shop", $"event {i}"), CancellationToken.None).WithTimeout()).Id);
        }

        Assert.All(ids, id => Assert.True(id > 0));
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(3, ids.Distinct().Count());
    }

    [Fact]
    public async Task ReadEventsAsync_AfterAnId_ReturnsLaterEventsOfThatDeploymentOnly()
    {
        var first = await _store.AppendEventAsync(Event("shop", "first"), CancellationToken.None).WithTimeout();
        await _store.AppendEventAsync(Event("other", "not mine"), CancellationToken.None).WithTimeout();
        var second = await _store.AppendEventAsync(
            Event("shop", "second") with { Resource = "tiers.web.servers[shop-web-abc123]", Severity = EventSeverity.Warning },
            CancellationToken.None).WithTimeout();
        var third = await _store.AppendEventAsync(Event("shop", "third"), CancellationToken.None).WithTimeout();

        var afterFirst = await _store.ReadEventsAsync("shop", first.Id, 10, CancellationToken.None).WithTimeout();
        var all = await _store.ReadEventsAsync("shop", 0, 10, CancellationToken.None).WithTimeout();

        Assert.Equal([second, third], afterFirst);
        Assert.Equal(["first", "second", "third"], all.Select(e => e.Message));
        Assert.Equal(first, all[0]);
    }

    [Fact]
    public async Task ReadEventsAsync_WithMax_ReturnsAtMostMaxOldestFirst()
    {
        for (var i = 0; i < 5; i++)
        {
            await _store.AppendEventAsync(Event("shop", $"event {i}"), CancellationToken.None).WithTimeout();
        }

        var page = await _store.ReadEventsAsync("shop", 0, 2, CancellationToken.None).WithTimeout();
        var next = await _store.ReadEventsAsync("shop", page[^1].Id, 2, CancellationToken.None).WithTimeout();

        Assert.Equal(["event 0", "event 1"], page.Select(e => e.Message));
        Assert.Equal(["event 2", "event 3"], next.Select(e => e.Message));
    }

    [Fact]
    public void InitializeAsync_DatabaseFile_IsReadableByOwnerOnly()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_services.Paths.StateDatabase));
    }

    [Fact]
    public async Task SaveDeploymentAsync_SecretParameters_EveryDatabaseFileIsReadableByOwnerOnly()
    {
        var record = Record("shop") with { Parameters = new Dictionary<string, string> { ["dbPassword"] = "s3cret" } };

        await _store.SaveDeploymentAsync(record, 0, CancellationToken.None).WithTimeout();

        // SQLite deletes -wal and -shm when its last connection closes (the pool may close one at any time): a
        // connection held here keeps all three files in place, so the check does not race SQLite's clean-up.
        await using var reader = await OpenReaderAsync();
        Assert.Equal(OwnerOnly("state.db", "state.db-wal", "state.db-shm"), ModesOf("state.db", "state.db-wal", "state.db-shm"));
    }

    [Fact]
    public async Task SaveDeploymentAsync_AfterSqliteRemovedItsWalFiles_RecreatedFilesAreReadableByOwnerOnly()
    {
        await _store.SaveDeploymentAsync(Record("shop"), 0, CancellationToken.None).WithTimeout();
        ((IDisposable)_store).Dispose();
        Assert.False(File.Exists(_services.Paths.StateDatabase + "-wal"), "closing the store's last connection removes the WAL file");

        var record = Record("shop") with { Serial = 1, Parameters = new Dictionary<string, string> { ["dbPassword"] = "s3cret" } };
        await _store.SaveDeploymentAsync(record, 1, CancellationToken.None).WithTimeout();

        await using var reader = await OpenReaderAsync();
        Assert.Equal(OwnerOnly("state.db", "state.db-wal", "state.db-shm"), ModesOf("state.db", "state.db-wal", "state.db-shm"));
    }

    private async Task<Microsoft.Data.Sqlite.SqliteConnection> OpenReaderAsync()
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_services.Paths.StateDatabase};Pooling=False");
        await connection.OpenAsync().WithTimeout();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM deployments";
        await command.ExecuteScalarAsync().WithTimeout();
        return connection;
    }

    private static List<(string File, UnixFileMode? Mode)> OwnerOnly(params string[] files) =>
        [.. files.Select(f => (f, (UnixFileMode?)(UnixFileMode.UserRead | UnixFileMode.UserWrite)))];

    private List<(string File, UnixFileMode? Mode)> ModesOf(params string[] files) =>
        [.. files.Select(f => Path.Combine(Path.GetDirectoryName(_services.Paths.StateDatabase)!, f))
            .Select(p => (Path.GetFileName(p), File.Exists(p) ? File.GetUnixFileMode(p) : (UnixFileMode?)null))];

    [Fact]
    public async Task SaveDeploymentAsync_ConcurrentSavesFromSameSerial_ExactlyOneWins()
    {
        var first = await _store.SaveDeploymentAsync(Record("shop"), 0, CancellationToken.None).WithTimeout();

        var attempts = Enumerable.Range(0, 8)
            .Select(i => Task.Run(() => _store.SaveDeploymentAsync(first with { SpecText = $"writer {i}" }, first.Serial, CancellationToken.None)))
            .ToList();
        var settled = await Task.WhenAll(attempts.Select(SettleAsync)).WithTimeout();
        var read = await _store.GetDeploymentAsync("shop", CancellationToken.None).WithTimeout();

        var winner = Assert.Single(settled, s => s.Saved is not null).Saved!;
        Assert.Equal(7, settled.Count(s => s.Error is StateConflictException));
        Assert.Equal(2, read!.Serial);
        Assert.Equal(winner.SpecText, read.SpecText);
    }

    [Fact]
    public async Task AppendEventAsync_WithFields_ReadsThemBack()
    {
        var stored = await _store.AppendEventAsync(Event("shop", "web-1 is in service") with
        {
            Tier = "web", Server = "web-1", FromState = ServerPhase.Booting, ToState = ServerPhase.InService,
        }, CancellationToken.None).WithTimeout();
        var rollback = await _store.AppendEventAsync(Event("shop", "rolling back") with
        {
            Kind = EventKinds.DeploymentRollback, Rollback = RollbackResult.NoPreviousApply,
        }, CancellationToken.None).WithTimeout();

        Assert.Equal([stored, rollback], await _store.ReadEventsAsync("shop", 0, 10, CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task InitializeAsync_EventsOfEarlierVersion_KeepsThemAndAddsFields()
    {
        await using (var connection = await OpenReaderAsync())
        {
            await using var command = connection.CreateCommand();
            command.CommandText = """
                DROP TABLE events;
                CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, deployment TEXT NOT NULL, time TEXT NOT NULL,
                    kind TEXT NOT NULL, resource TEXT, severity TEXT NOT NULL, message TEXT NOT NULL);
                INSERT INTO events (deployment, time, kind, resource, severity, message)
                    VALUES ('shop', '2026-03-01T12:00:00.0000000+01:00', 'server.state', NULL, 'Info', 'web-1 is in service');
                """;
            await command.ExecuteNonQueryAsync().WithTimeout();
        }

        await _store.InitializeAsync(CancellationToken.None).WithTimeout();
        var added = await _store.AppendEventAsync(Event("shop", "web-2 failed") with { Server = "web-2", ToState = ServerPhase.Failed }, CancellationToken.None).WithTimeout();

        var read = await _store.ReadEventsAsync("shop", 0, 10, CancellationToken.None).WithTimeout();
        Assert.Equal("web-1 is in service", read[0].Message);
        Assert.Null(read[0].ToState);
        Assert.Equal(added, read[1]);
    }

    [Fact]
    public async Task InitializeAsync_Twice_KeepsExistingData()
    {
        var saved = await _store.SaveDeploymentAsync(Record("shop"), 0, CancellationToken.None).WithTimeout();

        await _store.InitializeAsync(CancellationToken.None).WithTimeout();

        var read = await _store.GetDeploymentAsync("shop", CancellationToken.None).WithTimeout();
        Assert.NotNull(read);
        Assert.Equal(saved.Serial, read.Serial);
        Assert.Equal(saved.SpecText, read.SpecText);
        Assert.Equal(saved.StateJson, read.StateJson);
        Assert.Equal(["shop"], (await _store.ListDeploymentsAsync(CancellationToken.None).WithTimeout()).Select(d => d.Name));
    }

    private static async Task<(DeploymentRecord? Saved, Exception? Error)> SettleAsync(Task<DeploymentRecord> save)
    {
        try
        {
            return (await save.WithTimeout(), null);
        }
        catch (StateConflictException ex)
        {
            return (null, ex);
        }
    }

    private static DeploymentRecord Record(string name) => new()
    {
        Name = name,
        SpecPath = $"/srv/{name}/strata.yaml",
        SpecText = $"deployment: {name}\n",
        StateJson = $$"""{"name":"{{name}}"}""",
    };

    private DeploymentEvent Event(string deployment, string message) => new()
    {
        Deployment = deployment,
        Time = _clock.GetUtcNow(),
        Kind = "server.state",
        Message = message,
    };
}
