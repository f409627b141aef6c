using System.Runtime.CompilerServices;
using System.Text;

namespace Strata.Providers.Local;

/// <summary>
/// Server logs are plain files the server's shell appends to. Rotation is copy-truncate, because the server keeps
/// its file descriptor open (in append mode, so after truncation it continues at the new end).
/// </summary>
internal static class ServerLogs
{
    private const int TailBlock = 8192;

    /// <summary>The most a tail reads back (1 MiB), and the longest line a follower holds before passing it on.</summary>
    internal const int MaxTailBytes = 1024 * 1024;

    public static async Task<IReadOnlyList<string>> ReadTailAsync(string path, int lines, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lines);
        if (lines == 0 || !File.Exists(path))
        {
            return [];
        }

        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, TailBlock, useAsync: true);
        var (text, _) = await ReadTailTextAsync(file, lines, ct).ConfigureAwait(false);
        var all = text.Split('\n');
        var complete = text.EndsWith('\n') ? all[..^1] : all;
        return complete.Length <= lines ? complete : complete[^lines..];
    }

    /// <summary>
    /// Reads backwards in blocks until the text holds more than <paramref name="lines"/> line breaks, the start is
    /// reached or <see cref="MaxTailBytes"/> were read: the cost follows the tail asked for, not the file's size, even
    /// when a server writes megabytes without a line break (the text then starts inside that line).
    /// </summary>
    private static async Task<(string Text, long End)> ReadTailTextAsync(FileStream file, int lines, CancellationToken ct)
    {
        var end = file.Length;
        var start = end;
        var blocks = new List<byte[]>();
        var breaks = 0;
        while (start > 0 && breaks <= lines && end - start < MaxTailBytes)
        {
            var from = Math.Max(Math.Max(0, start - TailBlock), end - MaxTailBytes);
            var block = new byte[start - from];
            file.Position = from;
            await file.ReadExactlyAsync(block, ct).ConfigureAwait(false);
            breaks += block.AsSpan().Count((byte)'\n');
            blocks.Add(block);
            start = from;
        }

        blocks.Reverse();
        var text = new byte[end - start];
        var offset = 0;
        foreach (var block in blocks)
        {
            block.CopyTo(text, offset);
            offset += block.Length;
        }

        return (Encoding.UTF8.GetString(text), end);
    }

    public static async IAsyncEnumerable<string> FollowAsync(
        string path, int tailLines, TimeSpan poll, TimeProvider time, [EnumeratorCancellation] CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, TailBlock, useAsync: true);
        var (text, position) = await ReadTailTextAsync(file, tailLines, ct).ConfigureAwait(false);
        var pending = new StringBuilder();
        foreach (var line in SplitComplete(text, pending).TakeLast(tailLines))
        {
            yield return line;
        }

        var buffer = new byte[TailBlock];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(TailBlock)];
        var decoder = Encoding.UTF8.GetDecoder();
        while (!ct.IsCancellationRequested && File.Exists(path))
        {
            if (file.Length < position)
            {
                // Copy-truncate rotation: what was there is now in server.log.1; continue from the start.
                position = 0;
                pending.Clear();
                decoder.Reset();
            }

            file.Position = position;
            var read = await file.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (read == 0)
            {
                await Task.Delay(poll, time, ct).ConfigureAwait(false);
                continue;
            }

            position += read;
            // The decoder keeps a character split across two reads.
            var decoded = decoder.GetChars(buffer, 0, read, chars, 0);
            foreach (var line in SplitComplete(new string(chars, 0, decoded), pending))
            {
                yield return line;
            }
        }
    }

    private static List<string> SplitComplete(string chunk, StringBuilder pending)
    {
        var lines = new List<string>();
        foreach (var ch in chunk)
        {
            if (ch == '\n' || pending.Length >= MaxTailBytes)
            {
                // A line longer than the cap is passed on in pieces rather than held in memory whole.
                lines.Add(pending.ToString());
                pending.Clear();
            }

            if (ch == '\n')
            {
                continue;
            }

            pending.Append(ch);
        }

        return lines;
    }

    /// <summary>Rotates <paramref name="path"/> when it exceeds <paramref name="maxBytes"/>; returns whether it did.</summary>
    public static bool RotateIfLarge(string path, long maxBytes, int kept)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length <= maxBytes)
        {
            return false;
        }

        File.Delete($"{path}.{kept}");
        for (var i = kept - 1; i >= 1; i--)
        {
            if (File.Exists($"{path}.{i}"))
            {
                File.Move($"{path}.{i}", $"{path}.{i + 1}");
            }
        }

        File.Copy(path, $"{path}.1");
        using var log = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        log.SetLength(0);
        return true;
    }
}
