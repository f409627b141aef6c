using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Strata.Backups.Chunking;

/// <summary>
/// FastCDC-style chunking: a gear rolling hash over each byte, with a harder cut condition before the average
/// size and an easier one after it, which keeps chunk sizes close to the average. Boundaries depend only on
/// content, so inserting bytes moves the boundaries near the insertion and leaves the others where they were.
/// </summary>
internal sealed class ContentDefinedChunker
{
    // The gear table is part of the storage format: the same bytes must always cut at the same places.
    private static readonly ulong[] s_gear = BuildGear();

    private readonly ChunkingOptions _options;
    private readonly ulong _hardMask;
    private readonly ulong _easyMask;

    public ContentDefinedChunker(ChunkingOptions options)
    {
        if (options.Validate() is { Count: > 0 } problems)
        {
            throw new ArgumentException($"invalid chunking options: {string.Join("; ", problems)}", nameof(options));
        }

        _options = options;
        var bits = BitOperations.Log2((uint)options.AverageSize);
        // The top bits of the hash depend on the last 64 bytes, so the masks test those.
        _hardMask = ulong.MaxValue << (64 - (bits + 2));
        _easyMask = ulong.MaxValue << (64 - (bits - 2));
    }

    public ChunkingOptions Options => _options;

    /// <summary>
    /// The length of the chunk that starts at <paramref name="data"/>[0]. The caller passes at least
    /// <see cref="ChunkingOptions.MaxSize"/> bytes unless the input ends sooner.
    /// </summary>
    // Optimized from the first call: a snapshot is often the whole life of a process, and the unoptimized first
    // tier (which also counts branches for profile-guided optimization) ran this loop at a fraction of the speed.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Cut(ReadOnlySpan<byte> data)
    {
        if (data.Length <= _options.MinSize)
        {
            return data.Length;
        }

        var end = Math.Min(data.Length, _options.MaxSize);
        var normal = Math.Min(end, _options.AverageSize);
        // The loop runs for every byte of every file: no bounds checks. i < end <= data.Length, and a byte
        // indexes the 256-entry table.
        ref var gear = ref MemoryMarshal.GetArrayDataReference(s_gear);
        ref var bytes = ref MemoryMarshal.GetReference(data);
        ulong hash = 0;
        var i = _options.MinSize;
        for (; i < normal; i++)
        {
            hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, i));
            if ((hash & _hardMask) == 0)
            {
                return i + 1;
            }
        }

        for (; i < end; i++)
        {
            hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, i));
            if ((hash & _easyMask) == 0)
            {
                return i + 1;
            }
        }

        return end;
    }

    private static ulong[] BuildGear()
    {
        // SplitMix64 from a fixed seed: random-looking, and identical on every machine and release.
        var table = new ulong[256];
        var state = 0x5374726174614344UL;
        for (var i = 0; i < table.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            table[i] = z ^ (z >> 31);
        }

        return table;
    }
}
