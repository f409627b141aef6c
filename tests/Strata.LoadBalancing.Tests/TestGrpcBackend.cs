using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.LoadBalancing.Tests.Grpc;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// A real gRPC server (ASP.NET Core's) on its own loopback address that speaks only HTTP/2 over cleartext (h2c), as a
/// gRPC server behind a load balancer does: <c>Say</c> answers <c>NAME:TEXT</c>, <c>Count</c> streams
/// <c>NAME:TEXT 1</c> … <c>NAME:TEXT N</c>.
/// </summary>
internal sealed class TestGrpcBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestGrpcBackend(string name, WebApplication app, int port, string address)
    {
        Name = name;
        _app = app;
        Member = new Member { Name = name, Address = address, Port = port };
    }

    public string Name { get; }

    public Member Member { get; }

    public static async Task<TestGrpcBackend> StartAsync(string name, string address)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new EchoService(name));
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(address), 0, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        await app.StartAsync().WithTimeout();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestGrpcBackend(name, app, new Uri(url).Port, address);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WithTimeout();
        await _app.DisposeAsync();
    }

    private sealed class EchoService(string name) : Echo.EchoBase
    {
        public override Task<EchoReply> Say(EchoRequest request, ServerCallContext context) =>
            Task.FromResult(new EchoReply { Text = $"{name}:{request.Text}" });

        public override async Task Count(EchoRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
        {
            for (var i = 1; i <= request.Count; i++)
            {
                await responseStream.WriteAsync(new EchoReply { Text = $"{name}:{request.Text} {i}" }, context.CancellationToken);
            }
        }
    }
}
