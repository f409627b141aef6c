namespace Strata.LoadBalancing.Proxy.Forwarding;

/// <summary>
/// The client's request body as the forwarder reads it, remembering whether any of it was read: a request whose body
/// was never read can be sent again (to the same member or another); one whose body was read, even in part, cannot,
/// since what was read is gone.
/// </summary>
internal sealed class ObservedRequestBody(Stream body) : Stream
{
    private int _started;

    /// <summary>True once the forwarder began reading the body.</summary>
    public bool Started => Volatile.Read(ref _started) != 0;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Volatile.Write(ref _started, 1);
        return body.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        Volatile.Write(ref _started, 1);
        return body.Read(buffer, offset, count);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
