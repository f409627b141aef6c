using System.Globalization;

namespace Strata.Testing;

/// <summary>
/// Hands out blocks of the loopback range, <c>127.B.0.0/16</c>, each to one holder at a time across every test
/// process on this machine: a block is held through an exclusive lock on a file under the temporary folder, which
/// the operating system releases when the process ends. Tests that need addresses of their own (a local provider's
/// range, listeners) take a block instead of choosing one at random, so test classes and test projects running
/// side by side never collide.
/// </summary>
public static class LoopbackBlocks
{
    // 127.0.x is the machine's usual loopback and 127.1.x the local provider's default range, used by real
    // deployments on a developer's machine; 255 is left alone.
    private const int First = 2;
    private const int Last = 254;

    private static readonly string s_folder = Path.Combine(Path.GetTempPath(), "strata-test-loopback");
    private static int s_cursor = Environment.ProcessId;

    /// <summary>Takes a free block until the returned holder is disposed (or this process ends).</summary>
    public static LoopbackBlock Acquire()
    {
        Directory.CreateDirectory(s_folder);
        const int count = Last - First + 1;
        for (var i = 0; i < count; i++)
        {
            // Each call starts after the last block this process tried, so blocks are reused as late as possible.
            var block = First + (int)((uint)Interlocked.Increment(ref s_cursor) % count);
            if (TryHold(block) is { } file)
            {
                return new LoopbackBlock(block, file);
            }
        }

        throw new InvalidOperationException($"every loopback block 127.{First}-{Last}.x.x is held by a test (lock files in {s_folder})");
    }

    private static FileStream? TryHold(int block)
    {
        try
        {
            var path = Path.Combine(s_folder, block.ToString(CultureInfo.InvariantCulture) + ".lock");
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null; // held by another process
        }
    }
}

/// <summary>A loopback block <c>127.B.0.0/16</c> held by this process until disposed.</summary>
public sealed class LoopbackBlock : IDisposable
{
    private readonly FileStream _lock;

    internal LoopbackBlock(int octet, FileStream held)
    {
        Octet = octet;
        _lock = held;
    }

    /// <summary>The block's second octet B.</summary>
    public int Octet { get; }

    /// <summary>The range <c>127.B.0.1-127.B.255.254</c>, as the local provider takes it.</summary>
    public string Range => string.Create(CultureInfo.InvariantCulture, $"127.{Octet}.0.1-127.{Octet}.255.254");

    /// <summary>The first and last address of <see cref="Range"/>.</summary>
    public (string First, string Last) Bounds => (
        string.Create(CultureInfo.InvariantCulture, $"127.{Octet}.0.1"),
        string.Create(CultureInfo.InvariantCulture, $"127.{Octet}.255.254"));

    public void Dispose() => _lock.Dispose();
}
