using Strata.Api.Contracts.Agent;

namespace Strata.Agent;

/// <summary>
/// The agent's heartbeats, each with the free disk measured then (placement must not choose a host by what it had at
/// hello), the health checks run then, and the digest of its servers' listing. They are sent from a thread of their
/// own with synchronous writes: the `down` of 40 servers on a host kept the thread pool busy deleting their folders,
/// a heartbeat waiting for a pool thread left the host silent for seconds, and the control plane took it for hung and
/// started a new agent. The digest is taken apart, on the pool, and sent while it is fresh: taking it reads every
/// server's record, which must not hold up the heartbeat either.
/// </summary>
internal sealed class AgentHeartbeats(AgentWriter writer, AgentEngine engine, HealthWatches health, TimeSpan interval, TimeProvider time)
{
    /// <summary>How many intervals a digest is sent for after it was taken: an older one is left out, and the control plane lists the servers.</summary>
    internal const int DigestFreshIntervals = 3;

    private Digest? _digest;

    /// <summary>Sends a heartbeat every interval until cancelled; fails when the channel does.</summary>
    public Task StartBeating(CancellationToken ct)
    {
        // Armed here, before the thread runs: the first beat is due one interval from now, whenever the thread starts.
        var timer = new PeriodicTimer(interval, time);
        return Task.Factory.StartNew(() => Beat(timer, ct), ct, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
    }

    /// <summary>Takes the digest of the servers' listing every interval until cancelled.</summary>
    public async Task KeepDigestAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            do
            {
                try
                {
                    // Stamped before the listing is read: a change made while it is read is newer than the digest.
                    var takenAt = time.GetTimestamp();
                    Volatile.Write(ref _digest, new Digest(await engine.ServersDigestAsync(ct).ConfigureAwait(false), takenAt));
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    // Not taken this time; the last one goes stale, and the control plane lists the servers meanwhile.
                }
            }
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private void Beat(PeriodicTimer timer, CancellationToken ct)
    {
        using var held = timer;
        for (long sequence = 1; timer.WaitForNextTickAsync(ct).AsTask().GetAwaiter().GetResult(); sequence++)
        {
            ct.ThrowIfCancellationRequested();
            writer.Send(new AgentHeartbeat { Sequence = sequence, DiskFreeBytes = engine.DiskFreeBytes(), Watching = health.Ids(), ServersDigest = FreshDigest() });
        }
    }

    private string? FreshDigest() =>
        Volatile.Read(ref _digest) is { } digest && time.GetElapsedTime(digest.TakenAt) <= interval * DigestFreshIntervals ? digest.Value : null;

    private sealed record Digest(string Value, long TakenAt);
}
