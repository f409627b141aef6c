using Amazon.Runtime.Internal.Util;
using Amazon.S3.Model;

namespace Strata.Storage.S3;

/// <summary>The body of a GET; disposing it releases the response and its connection.</summary>
internal sealed class S3ResponseStream : Stream
{
    private readonly GetObjectResponse _response;
    private readonly Stream _inner;

    /// <param name="response">The response.</param>
    /// <param name="checkedByCaller">
    /// Whether the caller checks every byte itself, so that the body is read past the SDK's check of it against its
    /// ETag: a managed MD5 that allocates for every 64 bytes, which was most of the processor time of a restore from S3.
    /// </param>
    public S3ResponseStream(GetObjectResponse response, bool checkedByCaller)
    {
        _response = response;
        if (checkedByCaller && response.ResponseStream is MD5Stream checking)
        {
            // Detached from the response too: disposing the wrapper would compare the hash of what it saw (nothing)
            // with the ETag, and fail a read that succeeded.
            response.ResponseStream = checking.GetNonWrapperBaseStream();
        }

        _inner = response.ResponseStream;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _response.ContentLength;
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _response.Dispose();
        }

        base.Dispose(disposing);
    }
}
