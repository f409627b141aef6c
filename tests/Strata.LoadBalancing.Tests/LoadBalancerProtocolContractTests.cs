using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Strata.LoadBalancing.Tests.Grpc;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// The protocols an application behind either driver relies on: WebSockets (also while their server drains or after
/// it dies), server-sent events and downloads streamed as they are written, uploads streamed as they are sent, HTTP/2
/// from clients over TLS, and gRPC to servers that speak h2c.
/// </summary>
public abstract partial class LoadBalancerContractTests
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task WebSocket_Echo_RoundTripsThroughTheLoadBalancer()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "ws", BalancingAlgorithm.RoundRobin, 1);

        using var socket = await ConnectWebSocketAsync(instance);
        var echoes = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            echoes.Add(await EchoAsync(socket, $"hello {i}"));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WithTimeout();

        Assert.Equal([$"{backends[0].Name}:hello 0", $"{backends[0].Name}:hello 1", $"{backends[0].Name}:hello 2"], echoes);
        Assert.Equal(WebSocketState.Closed, socket.State);
    }

    [Fact]
    public async Task WebSocket_ServerDraining_StaysOpenUntilClosedThenMemberLeaves()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var backends = new[] { await fixture.BackendAsync($"{DriverName}-ws-drain-1", "127.0.0.64"), await fixture.BackendAsync($"{DriverName}-ws-drain-2", "127.0.0.65") };
        var instance = await fixture.StartAsync(ProxyFixture.Definition($"{DriverName}-ws-drain", drainTimeout: TimeSpan.FromSeconds(30)));
        await fixture.Driver.SetMembersAsync(instance, [.. backends.Select(b => b.Member)], CancellationToken.None).WithTimeout();
        using var socket = await ConnectWebSocketAsync(instance);
        // The backend counts its WebSocket only after it sent the 101 that ended the client's connect.
        await Eventually.WaitAsync(() => backends.Any(b => b.OpenWebSockets == 1), "a backend holds the WebSocket");
        var busy = backends.Single(b => b.OpenWebSockets == 1);

        await fixture.Driver.SetMembersAsync(
            instance, [.. backends.Select(b => b == busy ? b.Member with { State = MemberState.Draining } : b.Member)], CancellationToken.None).WithTimeout();
        var drainedEarly = await fixture.Driver.WaitUntilDrainedAsync(instance, busy.Name, TimeSpan.FromSeconds(2), TimeProvider.System, CancellationToken.None).WithTimeout();
        var echo = await EchoAsync(socket, "still there");
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WithTimeout();

        Assert.False(drainedEarly, "the member counted as drained while its WebSocket was open");
        Assert.Equal($"{busy.Name}:still there", echo);
        Assert.True(await fixture.Driver.WaitUntilDrainedAsync(instance, busy.Name, TimeSpan.FromSeconds(20), TimeProvider.System, CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task WebSocket_ServerDraining_IsCutAtTheDrainTimeout()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var backend = await fixture.BackendAsync($"{DriverName}-ws-cut-1", "127.0.0.66");
        var instance = await fixture.StartAsync(ProxyFixture.Definition($"{DriverName}-ws-cut", drainTimeout: TimeSpan.FromSeconds(2)));
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();
        using var socket = await ConnectWebSocketAsync(instance);
        Assert.Equal($"{backend.Name}:before", await EchoAsync(socket, "before"));

        var drainStarted = TimeProvider.System.GetTimestamp();
        await fixture.Driver.SetMembersAsync(instance, [backend.Member with { State = MemberState.Draining }], CancellationToken.None).WithTimeout();
        var drained = await fixture.Driver.WaitUntilDrainedAsync(instance, backend.Name, TimeSpan.FromSeconds(20), TimeProvider.System, CancellationToken.None).WithTimeout();
        var ended = await Record.ExceptionAsync(async () =>
        {
            var received = await socket.ReceiveAsync(new byte[1024], CancellationToken.None).WithTimeout(TimeSpan.FromSeconds(10));
            Assert.Equal(WebSocketMessageType.Close, received.MessageType);
        });
        var openFor = TimeProvider.System.GetElapsedTime(drainStarted);

        Assert.True(drained, "the member was still listed 20 s after a 2 s drain timeout");
        Assert.True(ended is null or WebSocketException, $"the WebSocket outlived the drain timeout: {ended}");
        Assert.True(openFor >= TimeSpan.FromSeconds(1.9), $"the WebSocket was cut {openFor.TotalSeconds:0.00} s into a 2 s drain");
        await Eventually.WaitAsync(() => backend.OpenWebSockets == 0, "the server's end of the WebSocket to close");
    }

    [Fact]
    public async Task WebSocket_ServerDies_ClientConnectionIsClosed()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, _) = await StartWithBackendsAsync(fixture, "ws-dies", BalancingAlgorithm.RoundRobin, 1);
        using var socket = await ConnectWebSocketAsync(instance);

        await socket.SendAsync(Encoding.UTF8.GetBytes("die"), WebSocketMessageType.Text, true, CancellationToken.None).WithTimeout();
        var ended = await Record.ExceptionAsync(async () =>
        {
            var received = await socket.ReceiveAsync(new byte[1024], CancellationToken.None).WithTimeout(TimeSpan.FromSeconds(10));
            Assert.Equal(WebSocketMessageType.Close, received.MessageType);
        });

        // Either a close or a broken connection, never a hang (WithTimeout would throw TimeoutException).
        Assert.True(ended is null or WebSocketException, $"the client's WebSocket did not end: {ended}");
    }

    [Fact]
    public async Task ServerSentEvents_FirstEvent_ArrivesBeforeTheStreamEnds()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "sse", BalancingAlgorithm.RoundRobin, 1);
        using var request = new HttpRequestMessage(HttpMethod.Get, instance.Url + "/sse");

        using var response = await fixture.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WithTimeout();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync().WithTimeout());
        var first = await reader.ReadLineAsync().WithTimeout(TimeSpan.FromSeconds(10));
        backends[0].ReleaseStreams();
        var rest = await reader.ReadToEndAsync().WithTimeout();

        Assert.Equal($"data: {backends[0].Name} first", first);
        Assert.Equal($"\ndata: {backends[0].Name} last\n\n", rest);
    }

    [Fact]
    public async Task Download_Large_IsStreamedAsTheServerWritesIt()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "download", BalancingAlgorithm.RoundRobin, 1);
        using var request = new HttpRequestMessage(HttpMethod.Get, instance.Url + "/download/64");

        using var response = await fixture.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WithTimeout();
        var body = await response.Content.ReadAsStreamAsync().WithTimeout();
        // The server holds the rest until released: the first MiB can only arrive if the load balancer passes it on.
        var first = await ReadAtLeastAsync(body, MiB).WithTimeout(TimeSpan.FromSeconds(10));
        backends[0].ReleaseStreams();
        var total = first.LongLength + await CountRestAsync(body).WithTimeout(TimeSpan.FromSeconds(60));

        Assert.All(first, b => Assert.Equal(0, b));
        Assert.Equal(64L * MiB, total);
    }

    [Fact]
    public async Task Upload_Large_IsStreamedAsTheClientSendsIt()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "upload", BalancingAlgorithm.RoundRobin, 1);
        var payload = RandomNumberGenerator.GetBytes(24 * MiB);
        // The client sends the rest only once the server has read part of the first MiB: a load balancer that buffered
        // the whole body before forwarding it would never let that happen.
        var content = new GatedContent(payload, MiB, () => Eventually.WaitAsync(() => backends[0].UploadedBytes >= MiB / 2, "the server to read the start of the body"));

        using var response = await fixture.Client.PostAsync(instance.Url + "/upload", content).WithTimeout(TimeSpan.FromSeconds(60));
        var answer = await response.Content.ReadAsStringAsync().WithTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{payload.Length} {Convert.ToHexStringLower(SHA256.HashData(payload))}", answer);
    }

    [Fact]
    public async Task Http2_ClientOverTls_IsServedWithH2()
    {
        await using var fixture = new ProxyFixture(DriverName);
        using var certificate = TestCertificate.Create(fixture.Root.Path, "h2");
        var backend = await fixture.BackendAsync($"{DriverName}-h2-1", "127.0.0.66");
        var instance = await fixture.StartAsync(ProxyFixture.Definition($"{DriverName}-h2") with { Tls = certificate.Settings });
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();
        var client = fixture.CreateClient(trusted: certificate);
        using var request = new HttpRequestMessage(HttpMethod.Get, instance.Url + "/") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await client.SendAsync(request).WithTimeout();
        var body = await response.Content.ReadAsStringAsync().WithTimeout();

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(backend.Name, body);
    }

    [Fact]
    public async Task Grpc_OverTlsToH2cServers_UnaryAndServerStreamingCallsSucceed()
    {
        await using var fixture = new ProxyFixture(DriverName);
        using var certificate = TestCertificate.Create(fixture.Root.Path, "grpc");
        await using var backend = await TestGrpcBackend.StartAsync($"{DriverName}-grpc-1", "127.0.0.67");
        var instance = await fixture.StartAsync(ProxyFixture.Definition($"{DriverName}-grpc") with { Tls = certificate.Settings, BackendProtocol = BackendProtocol.H2c });
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();
        var handler = new SocketsHttpHandler { UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, errors) => certificate.Validate(presented, errors);
        using var channel = GrpcChannel.ForAddress(instance.Url!, new GrpcChannelOptions { HttpHandler = handler });
        var client = new Echo.EchoClient(channel);

        var reply = await client.SayAsync(new EchoRequest { Text = "hello" }).ResponseAsync.WithTimeout();
        using var call = client.Count(new EchoRequest { Text = "n", Count = 5 });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var streamed = new List<string>();
        await foreach (var message in call.ResponseStream.ReadAllAsync(timeout.Token))
        {
            streamed.Add(message.Text);
        }

        Assert.Equal($"{backend.Name}:hello", reply.Text);
        Assert.Equal([.. Enumerable.Range(1, 5).Select(i => $"{backend.Name}:n {i}")], streamed);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    private static async Task<ClientWebSocket> ConnectWebSocketAsync(LoadBalancerInstance instance)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri("ws" + instance.Url!["http".Length..] + "/ws"), CancellationToken.None).WithTimeout();
        return socket;
    }

    private static async Task<string> EchoAsync(ClientWebSocket socket, string text)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).WithTimeout();
        var buffer = new byte[4096];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None).WithTimeout();
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }

    private static async Task<byte[]> ReadAtLeastAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        return buffer;
    }

    private static async Task<long> CountRestAsync(Stream stream)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        while (await stream.ReadAsync(buffer) is > 0 and var read)
        {
            total += read;
        }

        return total;
    }

    /// <summary>A body sent in two parts, the second only once <c>gate</c> completes.</summary>
    private sealed class GatedContent(byte[] payload, int firstPart, Func<Task> gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(payload.AsMemory(0, firstPart));
            await stream.FlushAsync();
            await gate();
            await stream.WriteAsync(payload.AsMemory(firstPart));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = payload.Length;
            return true;
        }
    }
}
