using Microsoft.AspNetCore.Http;
using Strata.LoadBalancing.Proxy.Forwarding;

namespace Strata.LoadBalancing.Tests;

[Trait("kind", "unit")]
public sealed class ForwardingFailuresTests
{
    [Fact]
    public async Task WriteError_ClientWentAway_CompletesWithoutThrowing()
    {
        // A client that reset its connection while the proxy handled the failure: answering it must not throw into the
        // member's accounting (which counted such an exception against the member).
        using var gone = new CancellationTokenSource();
        await gone.CancelAsync();
        var context = new DefaultHttpContext { RequestAborted = gone.Token };
        context.Response.Body = new MemoryStream();

        await ForwardingFailures.WriteErrorAsync(context, StatusCodes.Status400BadRequest, "the request body could not be read");

        Assert.Equal(StatusCodes.Status400BadRequest, context.Response.StatusCode);
    }

    [Fact]
    public async Task WriteError_ClientStillThere_AnswersPlainText()
    {
        var context = new DefaultHttpContext();
        var body = new MemoryStream();
        context.Response.Body = body;

        await ForwardingFailures.WriteErrorAsync(context, StatusCodes.Status502BadGateway, "the server failed to answer");

        Assert.Equal(StatusCodes.Status502BadGateway, context.Response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", context.Response.ContentType);
        Assert.Equal("the server failed to answer\n", System.Text.Encoding.UTF8.GetString(body.ToArray()));
    }
}
