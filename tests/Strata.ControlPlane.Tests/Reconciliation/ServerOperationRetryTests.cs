using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Reconciliation;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>
/// A failing operation (a termination sent to a host that cannot be reached fails at once) leaves its server alone
/// for a while that doubles with each failure in a row, so passes do not retry it as fast as they run.
/// </summary>
[Trait("kind", "unit")]
public sealed class ServerOperationRetryTests : IAsyncDisposable
{
    private readonly ManualTimeProvider _time = new();
    private readonly ControlPlaneServices _services;

    public ServerOperationRetryTests() => _services = new ControlPlaneServices(_time);

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task Start_OperationFailsTwiceThenSucceeds_ServerLeftAloneOneThenTwoSecondsThenFreeAtOnce()
    {
        var runtime = await _services.RuntimeAsync(Yaml);
        var operations = _services.Get<ServerOperations>();
        var fail = true;
        Task Operation() => fail ? throw new InvalidOperationException("host h2 cannot be reached") : Task.CompletedTask;

        await operations.Start(runtime, "web-1", Operation).WithTimeout();
        var afterFirst = (operations.IsBusy("web-1"), Busy(operations, TimeSpan.FromMilliseconds(999)), Busy(operations, TimeSpan.FromMilliseconds(1)));
        await operations.Start(runtime, "web-1", Operation).WithTimeout();
        var afterSecond = (Busy(operations, TimeSpan.FromMilliseconds(1999)), Busy(operations, TimeSpan.FromMilliseconds(1)));
        fail = false;
        await operations.Start(runtime, "web-1", Operation).WithTimeout();

        Assert.Equal((true, true, false), afterFirst);
        Assert.Equal((true, false), afterSecond);
        Assert.False(operations.IsBusy("web-1"));
        Assert.Equal(["host h2 cannot be reached (tried again in 1s)", "host h2 cannot be reached (tried again in 2s)"], await ErrorsAsync());
    }

    [Fact]
    public async Task RetryNow_FailedTwice_FreeAtOnceAndTheNextFailureWaitsFourSeconds()
    {
        var runtime = await _services.RuntimeAsync(Yaml);
        var operations = _services.Get<ServerOperations>();
        Task Operation() => throw new Strata.Providers.ProviderException("server web-1 is on host h2, which is not connected; retried when it is back");
        await operations.Start(runtime, "web-1", Operation).WithTimeout();
        await operations.Start(runtime, "web-1", Operation).WithTimeout();

        operations.RetryNow();
        var afterRetry = operations.IsBusy("web-1");
        await operations.Start(runtime, "web-1", Operation).WithTimeout();

        Assert.False(afterRetry);
        Assert.Equal((true, false), (Busy(operations, TimeSpan.FromMilliseconds(3999)), Busy(operations, TimeSpan.FromMilliseconds(1))));
        // The same refusal three times in a row is told once.
        Assert.Equal(["server web-1 is on host h2, which is not connected; retried when it is back (tried again in 1s)"], await ErrorsAsync());
    }

    [Fact]
    public async Task IsOwned_FailedOperation_OwnedUntilSlackPastItsRetryTime()
    {
        var runtime = await _services.RuntimeAsync(Yaml);
        var operations = _services.Get<ServerOperations>();
        Task Operation() => throw new Strata.Providers.ProviderException("server web-1 is on host h2, which is not connected; retried when it is back");
        await operations.Start(runtime, "web-1", Operation).WithTimeout();
        var slack = TimeSpan.FromSeconds(5);

        // Free for a pass to retry after 1 s, but owned by that retry for the slack after it.
        _time.Advance(TimeSpan.FromSeconds(1));
        var atRetry = (operations.IsBusy("web-1"), operations.IsOwned("web-1", slack));
        _time.Advance(TimeSpan.FromMilliseconds(4999));
        var justBefore = operations.IsOwned("web-1", slack);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal((false, true), atRetry);
        Assert.True(justBefore);
        Assert.False(operations.IsOwned("web-1", slack));
    }

    [Fact]
    public async Task Start_ProviderRefusesAgainAndAgain_OneWarningForEachNewReason()
    {
        var runtime = await _services.RuntimeAsync(Yaml);
        var operations = _services.Get<ServerOperations>();
        var reason = "server web-1 is on host h2, which is not connected; retried when it is back";
        Task Operation() => throw new Strata.Providers.ProviderException(reason);

        await operations.Start(runtime, "web-1", Operation).WithTimeout();
        await operations.Start(runtime, "web-1", Operation).WithTimeout();
        reason = "host h2 has no room for image app";
        await operations.Start(runtime, "web-1", Operation).WithTimeout();
        await operations.Start(runtime, "web-1", Operation).WithTimeout();

        Assert.Equal(
            ["server web-1 is on host h2, which is not connected; retried when it is back (tried again in 1s)", "host h2 has no room for image app (tried again in 4s)"],
            await ErrorsAsync());
        Assert.Equal([EventSeverity.Warning, EventSeverity.Warning], await SeveritiesAsync());
    }

    [Fact]
    public async Task Start_ProviderRefusesUntilRetriesSlowToTheLongestDelay_ToldAgainOnceThen()
    {
        var runtime = await _services.RuntimeAsync(Yaml);
        var operations = _services.Get<ServerOperations>();
        const string Reason = "server web-1 is on host h2, which is not connected; retried when it is back";
        Task Operation() => throw new Strata.Providers.ProviderException(Reason);

        // 1, 2, 4, 8, 16 and 32 seconds, then the longest delay (1 minute) from the seventh refusal on.
        for (var i = 0; i < 9; i++)
        {
            await operations.Start(runtime, "web-1", Operation).WithTimeout();
        }

        Assert.Equal([$"{Reason} (tried again in 1s)", $"{Reason} (still refused; tried again every 1m from now on)"], await ErrorsAsync());
    }

    [Fact]
    public async Task Start_RefusedAtTheLongestDelayWithARetryNowBetween_NotToldAgain()
    {
        var runtime = await _services.RuntimeAsync(Yaml);
        var operations = _services.Get<ServerOperations>();
        const string Reason = "server web-1 is on host h2, which is not connected; retried when it is back";
        var hostBack = false;
        Task Operation()
        {
            if (hostBack)
            {
                // The host came back while the operation ran, and went again: tried again at once.
                operations.RetryNow();
            }

            throw new Strata.Providers.ProviderException(Reason);
        }

        for (var i = 0; i < 8; i++)
        {
            await operations.Start(runtime, "web-1", Operation).WithTimeout();
        }

        hostBack = true;
        await operations.Start(runtime, "web-1", Operation).WithTimeout();
        hostBack = false;
        await operations.Start(runtime, "web-1", Operation).WithTimeout();

        Assert.Equal([$"{Reason} (tried again in 1s)", $"{Reason} (still refused; tried again every 1m from now on)"], await ErrorsAsync());
    }

    [Fact]
    public async Task Start_SameWordsFromAnotherKindOfError_ToldAgain()
    {
        var runtime = await _services.RuntimeAsync(Yaml);
        var operations = _services.Get<ServerOperations>();
        var provider = true;
        Task Operation() => provider ? throw new Strata.Providers.ProviderException("disk full") : throw new IOException("disk full");

        await operations.Start(runtime, "web-1", Operation).WithTimeout();
        provider = false;
        await operations.Start(runtime, "web-1", Operation).WithTimeout();
        provider = true;
        await operations.Start(runtime, "web-1", Operation).WithTimeout();

        Assert.Equal(["disk full (tried again in 1s)", "disk full (tried again in 2s)", "disk full (tried again in 4s)"], await ErrorsAsync());
    }

    private bool Busy(ServerOperations operations, TimeSpan after)
    {
        _time.Advance(after);
        return operations.IsBusy("web-1");
    }

    private async Task<List<string>> ErrorsAsync() => [.. (await ServerErrorsAsync()).Select(e => e.Message)];

    private async Task<List<EventSeverity>> SeveritiesAsync() => [.. (await ServerErrorsAsync()).Select(e => e.Severity)];

    private async Task<List<DeploymentEvent>> ServerErrorsAsync()
    {
        var errors = new List<DeploymentEvent>();
        await foreach (var e in _services.Get<EventLog>().ReadAsync("shop", 0, follow: false))
        {
            if (e.Kind == EventKinds.ServerError)
            {
                errors.Add(e);
            }
        }

        return errors;
    }

    private const string Yaml = """
        deployment: shop
        images:
          app: { from: ./app, run: "sh run.sh" }
        tiers:
          web: { image: app, servers: 1 }
        """;
}
