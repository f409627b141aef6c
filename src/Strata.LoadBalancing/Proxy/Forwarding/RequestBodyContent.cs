using System.Net;

namespace Strata.LoadBalancing.Proxy.Forwarding;

/// <summary>
/// Streams the client's request body to the member without buffering it, and remembers whether it started, because
/// a request whose body was not sent yet can still be retried on another member.
/// </summary>
internal sealed class RequestBodyContent(Stream body) : HttpContent
{
    public bool Started { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        Started = true;
        await body.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    protected override bool TryComputeLength(out long length)
    {
        // The Content-Length header, when the client sent one, is copied onto this content and used instead.
        length = 0;
        return false;
    }
}
