using System.Runtime;

namespace Strata.ControlPlane.Hosting;

/// <summary>
/// Gives back the memory a burst of work left in the large-object heap of the control-plane process, which runs for
/// weeks and mostly waits. Every large buffer (a deployment's state or status as JSON, over 85 KB from about 100
/// servers on; an image sent to hosts) goes there, and the GC frees them but neither compacts that heap by default nor
/// collects it often while the process is idle: after an <c>up</c> of 200 servers on 5 hosts, 13–16 MiB of its 50 MiB
/// heap stayed free but held. Run by the process that owns the runtime (<c>strata server</c>), not by every host of
/// the control plane's services: a test process holds many.
/// </summary>
public static class MemoryTrim
{
    /// <summary>How often the large-object heap is looked at: a minute.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(1);

    /// <summary>Less than this to give back is not worth a full collection: 4 MiB.</summary>
    public const long MinimumBytes = 4L << 20;

    /// <summary>
    /// Whether the large-object heap is worth compacting: what was free in it after the last collection, and what it
    /// grew by since the last full one (only a full collection frees large objects, and an idle process makes none for
    /// a long time), come to <see cref="MinimumBytes"/>. A full collection of the control plane's heap (about 20 MiB)
    /// takes a few milliseconds, and there is at most one per <see cref="DefaultInterval"/>.
    /// </summary>
    /// <param name="freeBytes">Free in the large-object heap after the last collection.</param>
    /// <param name="grownSinceFullBytes">What it grew by since the last full collection.</param>
    /// <param name="leftFreeBytes">What the last trim left free (pinned buffers a compaction cannot move): not counted again.</param>
    public static bool IsWorthIt(long freeBytes, long grownSinceFullBytes, long leftFreeBytes = 0) =>
        freeBytes - leftFreeBytes + Math.Max(0, grownSinceFullBytes) >= MinimumBytes;

    private static long s_leftFree;

    /// <summary>Looks every <paramref name="interval"/> until cancelled, and compacts when it is worth it; returns how many times it did.</summary>
    public static async Task<int> RunAsync(TimeSpan interval, TimeProvider time, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval, time);
        var trims = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                trims += TrimIfWorthIt() ? 1 : 0;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped with the server.
        }

        return trims;
    }

    /// <summary>One look: compacts every heap, the large-object heap included, when that is worth it.</summary>
    public static bool TrimIfWorthIt()
    {
        // Generation infos are small objects, heap 0..2 then the large-object heap (3) and the pinned one (4).
        const int LargeObjects = 3;
        var last = GC.GetGCMemoryInfo(GCKind.Any).GenerationInfo[LargeObjects];
        var full = new[] { GC.GetGCMemoryInfo(GCKind.FullBlocking), GC.GetGCMemoryInfo(GCKind.Background) }.MaxBy(i => i.Index)!;
        var grown = last.SizeAfterBytes - (full.Index == 0 ? 0 : full.GenerationInfo[LargeObjects].SizeAfterBytes);
        if (!IsWorthIt(last.FragmentationAfterBytes, grown, Interlocked.Read(ref s_leftFree)))
        {
            return false;
        }

        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        // Aggressive also gives the freed memory back to the system, which is the point.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Interlocked.Exchange(ref s_leftFree, GC.GetGCMemoryInfo(GCKind.FullBlocking).GenerationInfo[LargeObjects].FragmentationAfterBytes);
        return true;
    }
}
