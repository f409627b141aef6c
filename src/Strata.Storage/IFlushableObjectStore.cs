namespace Strata.Storage;

/// <summary>
/// A store whose writes can leave the flush to disk for later and flush many objects at once: one flush of the
/// whole batch costs far less than a flush (a journal commit on a local disk) per object. Writers that need each
/// object durable on its own keep using <see cref="IObjectStore.PutAsync"/>.
/// </summary>
public interface IFlushableObjectStore : IObjectStore
{
    /// <summary>
    /// Writes an object as <see cref="IObjectStore.PutAsync"/> does, atomically for readers, but it may be lost in a
    /// power failure until <see cref="FlushAsync"/> has returned.
    /// </summary>
    Task PutUnflushedAsync(string key, Stream content, CancellationToken ct);

    /// <summary>Makes every object written before the call durable.</summary>
    /// <exception cref="IOException">The flush failed: the objects may not be durable.</exception>
    Task FlushAsync(CancellationToken ct);
}
