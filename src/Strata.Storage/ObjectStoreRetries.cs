namespace Strata.Storage;

/// <summary>
/// Tells whoever waits on an object store that it is retrying: a store that does not answer is retried for tens of
/// seconds, and a person running a backup or a restore should hear of it as it happens, not only from the control
/// plane's log. An observer set with <see cref="Observe"/> hears of every retry made in its asynchronous flow (the
/// calls it awaits and the work they start), and of no other.
/// </summary>
public static class ObjectStoreRetries
{
    private static readonly AsyncLocal<Registration?> s_observer = new();

    /// <summary>
    /// Sets the observer of this flow until the result is disposed; the previous one then comes back. Work this flow
    /// started that outlives the scope (a copy left running in the background) then tells nobody.
    /// </summary>
    public static IDisposable Observe(Func<ObjectStoreRetry, ValueTask> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var registration = new Registration(observer, s_observer.Value);
        s_observer.Value = registration;
        return registration;
    }

    /// <summary>
    /// Tells this flow's observer, if any, of a retry about to wait. The observer's own failure is not the store's: it
    /// is never let out to fail the request being retried.
    /// </summary>
    public static async ValueTask NotifyAsync(ObjectStoreRetry retry)
    {
        if (s_observer.Value?.Observer is not { } observer)
        {
            return;
        }

        try
        {
            await observer(retry).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or StackOverflowException))
        {
            // Whoever waited has gone, or could not be told: the retry goes on without telling anyone.
        }
    }

    private sealed class Registration(Func<ObjectStoreRetry, ValueTask> observer, Registration? previous) : IDisposable
    {
        private volatile Func<ObjectStoreRetry, ValueTask>? _observer = observer;
        private Registration? _previous = previous;

        /// <summary>The observer while the scope lasts; null after it, also for work of its flow that outlives it.</summary>
        public Func<ObjectStoreRetry, ValueTask>? Observer => _observer;

        public void Dispose()
        {
            _observer = null;
            // Only the flow whose observer this is gets its previous one back; nothing is kept alive through it after.
            if (s_observer.Value == this)
            {
                s_observer.Value = _previous;
            }

            _previous = null;
        }
    }
}

/// <summary>A request to an object store that failed and is about to be tried again.</summary>
/// <param name="Store">The store type (<c>s3</c>).</param>
/// <param name="Endpoint">Where it was asked.</param>
/// <param name="Operation">What was asked, e.g. <c>put 'chunks/ab/…'</c>.</param>
/// <param name="Attempt">The attempt that failed, from 1.</param>
/// <param name="Attempts">How many attempts are made at most.</param>
/// <param name="Delay">How long before the next one.</param>
/// <param name="Error">Why it failed.</param>
public sealed record ObjectStoreRetry(string Store, string Endpoint, string Operation, int Attempt, int Attempts, TimeSpan Delay, string Error)
{
    /// <summary>One line for a person: the store, the error, when the next attempt comes.</summary>
    public override string ToString() =>
        $"the {Store} object store at {Endpoint} failed ({Error}); trying again in {Delay.TotalSeconds:0.#}s (attempt {Attempt + 1} of {Attempts})";
}
