using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Strata.Api.Contracts.Events;
using Strata.Common.Retries;
using Strata.ControlPlane.Events;
using Strata.Storage;

namespace Strata.ControlPlane.Backups;

/// <summary>
/// Retries a whole backup-store operation while its store is unreachable, through a Polly retry pipeline on the
/// injected clock, waiting <see cref="ExponentialBackoff"/> delays (<see cref="BackupOptions.StoreRetryDelay"/> doubling
/// up to <see cref="BackupOptions.StoreMaxRetryDelay"/>) and reporting each retry as a <c>backup.store-unavailable</c>
/// event. Other failures are not retried.
/// </summary>
public sealed class StoreRetry
{
    /// <summary>The largest fraction of each wait taken off at random, so that backups failing together do not retry together.</summary>
    private const double Jitter = 0.2;

    private static readonly ResiliencePropertyKey<string> s_deployment = new("strata.deployment");
    private static readonly ResiliencePropertyKey<string> s_what = new("strata.what");

    private readonly EventLog _events;
    private readonly int _attempts;
    private readonly ResiliencePipeline _pipeline;

    public StoreRetry(IOptions<BackupOptions> options, EventLog events, TimeProvider time)
    {
        _events = events;
        _attempts = options.Value.StoreAttempts;
        _pipeline = Build(options.Value, time);
    }

    public async Task<T> ExecuteAsync<T>(string deployment, string what, Func<CancellationToken, Task<T>> operation, CancellationToken ct)
    {
        var context = ResilienceContextPool.Shared.Get(ct);
        context.Properties.Set(s_deployment, deployment);
        context.Properties.Set(s_what, what);
        try
        {
            return await _pipeline.ExecuteAsync(static async (context, operation) => await operation(context.CancellationToken).ConfigureAwait(false), context, operation)
                .ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ResiliencePipeline Build(BackupOptions options, TimeProvider time)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.StoreAttempts < 2)
        {
            return builder.Build();
        }

        var random = new Random();
        return builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = options.StoreAttempts - 1,
            ShouldHandle = new PredicateBuilder().Handle<ObjectStoreUnavailableException>(),
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                ExponentialBackoff.Delay(args.AttemptNumber + 1, options.StoreRetryDelay, options.StoreMaxRetryDelay, Jitter, random)),
            OnRetry = args => new ValueTask(ReportAsync(args)),
        }).Build();
    }

    private Task ReportAsync(OnRetryArguments<object> args)
    {
        var what = args.Context.Properties.GetValue(s_what, "a backup-store operation");
        return _events.PublishAsync(
            args.Context.Properties.GetValue(s_deployment, ""), EventKinds.BackupStoreUnavailable,
            $"{what}: the backup store is unreachable ({args.Outcome.Exception?.Message}); attempt {args.AttemptNumber + 1} of {_attempts}, retrying in {args.RetryDelay.TotalSeconds:0.#}s",
            severity: EventSeverity.Warning, cancellationToken: args.Context.CancellationToken);
    }
}
