using Strata.Backups.Chunking;

namespace Strata.Backups.Tests.Chunking;

[Trait("kind", "unit")]
public sealed class ContentDefinedChunkerTests
{
    private static readonly ContentDefinedChunker s_chunker = new(new ChunkingOptions());

    [Fact]
    public void Cut_SameData_GivesSameBoundariesWithinLimits()
    {
        var data = RandomBytes(24 * 1024 * 1024, seed: 7);

        var first = Boundaries(data);
        var second = Boundaries(data.ToArray());

        Assert.Equal(first, second);
        var sizes = first.Zip(first.Skip(1), (a, b) => b - a).Prepend(first[0]).ToList();
        Assert.All(sizes.SkipLast(1), size => Assert.InRange(size, 256 * 1024, 4 * 1024 * 1024));
        Assert.InRange(sizes.Average(), 512 * 1024, 2 * 1024 * 1024);
        // Cut by content: 24 MiB at about 1 MiB a chunk, most cuts before the maximum, and no fixed size.
        Assert.InRange(first.Count, 12, 48);
        Assert.True(sizes.SkipLast(1).Count(size => size < 4 * 1024 * 1024) >= sizes.Count / 2, $"most chunks hit the maximum: {string.Join(", ", sizes)}");
        Assert.True(sizes.Distinct().Count() > sizes.Count / 2, $"chunk sizes repeat as with fixed-size chunks: {string.Join(", ", sizes)}");
    }

    [Fact]
    public void Cut_AfterInsertNearStart_KeepsMostBoundaries()
    {
        var data = RandomBytes(24 * 1024 * 1024, seed: 8);
        var inserted = data[..100_000].Concat(RandomBytes(5_000, seed: 9)).Concat(data[100_000..]).ToArray();

        var before = Boundaries(data).ToHashSet();
        var after = Boundaries(inserted).Select(b => b - 5_000).ToList();

        var unchanged = after.Count(before.Contains);
        Assert.InRange(after.Count, 12, 48);
        Assert.True(unchanged >= after.Count - 2, $"only {unchanged} of {after.Count} boundaries survived the insert");
    }

    [Fact]
    public void Cut_ShortInput_IsOneChunk()
    {
        Assert.Equal(1000, s_chunker.Cut(new byte[1000]));
        Assert.Equal(4 * 1024 * 1024, s_chunker.Cut(new byte[10 * 1024 * 1024]));
    }

    [Fact]
    public void Constructor_InvalidSizes_ListsEveryProblem()
    {
        var error = Assert.Throws<ArgumentException>(() => new ContentDefinedChunker(new ChunkingOptions { MinSize = 10, AverageSize = 3000, MaxSize = 2000 }));

        Assert.Contains("MinSize", error.Message);
        Assert.Contains("strictly between", error.Message);
        Assert.Contains("power of two", error.Message);
    }

    private static List<int> Boundaries(byte[] data)
    {
        var boundaries = new List<int>();
        var position = 0;
        while (position < data.Length)
        {
            position += s_chunker.Cut(data.AsSpan(position, Math.Min(4 * 1024 * 1024, data.Length - position)));
            boundaries.Add(position);
        }

        return boundaries;
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
