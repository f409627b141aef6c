using System.Text;
using Strata.Backups.Chunking;
using ZstdSharp;

namespace Strata.Backups.Tests.Chunking;

/// <summary>The system's libzstd and the managed port write frames each of them reads, so stores mix them freely.</summary>
[Trait("kind", "unit")]
public sealed class NativeZstdTests
{
    private static readonly byte[] s_text = Encoding.ASCII.GetBytes(string.Concat(
        Enumerable.Range(0, 20_000).Select(i => $"2026-12-05T06:{i % 60:00}:00 level=info req={i * 7919:x8} status=200\n")));

    // Debian's apt and dpkg need libzstd1, so every machine Strata runs on has it; without it snapshots fall back
    // to the managed port at a fraction of the speed, which the benchmark figures would not show.
    [Fact]
    public void IsAvailable_OnThisMachine_IsTrue() => Assert.True(NativeZstd.IsAvailable, "libzstd.so.1 did not load");

    [Fact]
    public void TryCompress_Text_TheManagedPortReadsTheFrame()
    {
        var frame = new byte[s_text.Length];

        Assert.True(NativeZstd.TryCompress(s_text, frame, 1, out var written));

        Assert.InRange(written, 1, s_text.Length / 3);
        using var managed = new Decompressor();
        Assert.Equal((ulong)s_text.Length, Decompressor.GetDecompressedSize(frame.AsSpan(0, written)));
        Assert.Equal(s_text, managed.Unwrap(frame.AsSpan(0, written)).ToArray());
    }

    [Fact]
    public void TryDecompress_FrameOfTheManagedPort_GivesTheContent()
    {
        using var managed = new Compressor(1);
        var frame = managed.Wrap(s_text).ToArray();
        var content = new byte[s_text.Length];

        Assert.True(NativeZstd.TryDecompress(frame, content, out var written, out var error), error);

        Assert.Equal(s_text.Length, written);
        Assert.Equal(s_text, content);
    }

    [Fact]
    public void TryCompress_DestinationTooSmall_IsFalse()
    {
        var random = new byte[64 * 1024];
        new Random(3).NextBytes(random);

        Assert.False(NativeZstd.TryCompress(random, new byte[random.Length / 2], 1, out var written));
        Assert.Equal(0, written);
    }

    // Frames carry no checksum (the chunk's id is checked after decompression), so the damage here is a cut.
    [Fact]
    public void TryDecompress_TruncatedFrame_IsFalseWithTheReason()
    {
        var frame = new byte[s_text.Length];
        Assert.True(NativeZstd.TryCompress(s_text, frame, 1, out var written));

        var ok = NativeZstd.TryDecompress(frame.AsSpan(0, written - 10), new byte[s_text.Length], out _, out var error);

        Assert.False(ok);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TryDecompress_MoreThanTheDestination_IsFalse()
    {
        var frame = new byte[s_text.Length];
        Assert.True(NativeZstd.TryCompress(s_text, frame, 1, out var written));

        Assert.False(NativeZstd.TryDecompress(frame.AsSpan(0, written), new byte[s_text.Length - 1], out _, out var error));
        Assert.Contains("too small", error, StringComparison.OrdinalIgnoreCase);
    }
}
