using Microsoft.Extensions.Options;
using Strata.Storage;

namespace Strata.ControlPlane.Backups;

/// <summary>
/// Retries a whole backup-store operation while its store is unreachable, with exponential backoff and jitter,
/// reporting each retry as a <c>backup.store-unavailable</c> event. Other failures are not retried.
/// </summary>
public sealed class StoreRetry(IOptions<BackupOptions> options, EventLog events, TimeProvider time)
{
    private readonly Random _random = new();

    public async Task<T> ExecuteAsync<T>(string deployment, string what, Func<CancellationToken, Task<T>> operation, CancellationToken ct)
    {
        var delay = options.Value.StoreRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation(ct).ConfigureAwait(false);
            }
            catch (ObjectStoreUnavailableException ex) when (attempt < options.Value.StoreAttempts)
            {
                var wait = delay * (0.8 + (0.4 * _random.NextDouble()));
                await events.PublishAsync(
                    deployment, EventKinds.BackupStoreUnavailable,
                    $"{what}: the backup store is unreachable ({ex.Message}); attempt {attempt} of {options.Value.StoreAttempts}, retrying in {wait.TotalSeconds:0.#}s",
                    severity: EventSeverity.Warning, cancellationToken: ct).ConfigureAwait(false);
                await Task.Delay(wait, time, ct).ConfigureAwait(false);
                delay *= 2;
            }
        }
    }
}
