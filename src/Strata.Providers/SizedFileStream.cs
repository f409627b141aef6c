using Strata.Common.Files;

namespace Strata.Providers;

/// <summary>
/// A file's content as it was measured when opened: exactly <see cref="Length"/> bytes, however the file changes
/// while it is read. A tar entry's size is written before its data, so a file its application appends to meanwhile
/// (a volume in use) must not give more bytes than that size, or every entry after it is misread; one that shrinks is
/// padded with zeros for the same reason.
/// </summary>
internal sealed class SizedFileStream : Stream
{
    private readonly FileStream _file;
    private long _position;

    private static readonly FileStreamOptions s_options = new()
    {
        Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 1 << 16, Options = FileOptions.Asynchronous,
    };

    public SizedFileStream(string path)
        : this(new FileStream(path, s_options))
    {
    }

    private SizedFileStream(FileStream file)
    {
        _file = file;
        Length = file.Length;
    }

    /// <summary>The file's content as it is now, or null when the file was deleted (a volume in use) before it could be opened.</summary>
    public static SizedFileStream? OpenOrNull(string path) => FileFacts.OpenReadOrNull(path, s_options) is { } file ? new SizedFileStream(file) : null;

    public override long Length { get; }

    public override bool CanRead => true;

    // A tar writer sends an entry's data into an unseekable stream (a pipe, an upload) only from a seekable one.
    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var wanted = Wanted(buffer.Length);
        if (wanted == 0)
        {
            return 0;
        }

        var read = _file.Read(buffer[..wanted]);
        return Advance(buffer[..wanted], read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var wanted = Wanted(buffer.Length);
        if (wanted == 0)
        {
            return 0;
        }

        var read = await _file.ReadAsync(buffer[..wanted], cancellationToken).ConfigureAwait(false);
        return Advance(buffer.Span[..wanted], read);
    }

    private int Wanted(int room) => (int)Math.Min(room, Length - _position);

    /// <summary>Counts what was read; at the file's (new, shorter) end, zeros stand for what it no longer has.</summary>
    private int Advance(Span<byte> buffer, int read)
    {
        if (read == 0)
        {
            buffer.Clear();
            read = buffer.Length;
        }

        _position += read;
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Length + offset,
        };
        ArgumentOutOfRangeException.ThrowIfNegative(position, nameof(offset));

        // Past the file's end (it shrank) reads give nothing, and zeros stand in for them.
        _file.Position = position;
        return _position = position;
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _file.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
