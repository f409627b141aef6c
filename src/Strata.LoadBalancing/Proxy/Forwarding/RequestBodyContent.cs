using System.Buffers;
using System.Net;

namespace Strata.LoadBalancing.Proxy.Forwarding;

/// <summary>
/// Streams the client's request body to the member without buffering it, and remembers whether it started, because
/// a request whose body was not sent yet can still be retried on another member, and whether the client broke it off,
/// because that says nothing about the member's health.
/// </summary>
internal sealed class RequestBodyContent(Stream body) : HttpContent
{
    private const int BufferSize = 16 * 1024;

    public bool Started { get; private set; }

    /// <summary>True when reading the client's body failed (the client went away, sent a malformed or too large body).</summary>
    public bool ClientFailed { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        Started = true;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (await ReadClientAsync(buffer, cancellationToken).ConfigureAwait(false) is > 0 and var read)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask<int> ReadClientAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or Microsoft.AspNetCore.Http.BadHttpRequestException or OperationCanceledException)
        {
            ClientFailed = true;
            throw;
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        // The Content-Length header, when the client sent one, is copied onto this content and used instead.
        length = 0;
        return false;
    }
}
