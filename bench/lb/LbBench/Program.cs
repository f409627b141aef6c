using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Strata.LoadBalancing;
using Strata.LoadBalancing.Proxy;

// LbBench --config FILE: the built-in proxy itself (what `strata proxy` runs).
// LbBench ROOT HAPROXY_PORT BUILTIN_PORT MEMBER_PORT... [--tls CERT KEY]: starts one load balancer per driver on
// 127.0.0.1 with those members (serving TLS with that PEM certificate and key when given), prints "ready", and stops
// both on SIGTERM or SIGINT.
// LbBench --ws-echo PORT...: a WebSocket echo server on those ports, the members of the WebSocket benchmark.
// LbBench --ws-load URL CONNECTIONS SECONDS: that many WebSockets echoing small messages; prints the count and rate.
if (args is ["--config", var configPath])
{
    return await ProxyProgram.RunAsync(configPath, CancellationToken.None);
}

if (args is ["--ws-echo", .. var echoPorts])
{
    using var stopEcho = new CancellationTokenSource();
    using var terminateEcho = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopEcho.Cancel(); });
    return await WebSocketBench.EchoAsync(echoPorts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)), stopEcho.Token);
}

if (args is ["--ws-load", var wsUrl, var wsConnections, var wsSeconds])
{
    return await WebSocketBench.LoadAsync(
        new Uri(wsUrl), int.Parse(wsConnections, CultureInfo.InvariantCulture), TimeSpan.FromSeconds(int.Parse(wsSeconds, CultureInfo.InvariantCulture)));
}

TlsSettings? tls = null;
if (Array.IndexOf(args, "--tls") is >= 0 and var tlsAt && tlsAt + 2 < args.Length)
{
    tls = new TlsSettings { CertificatePath = args[tlsAt + 1], KeyPath = args[tlsAt + 2] };
    args = [.. args[..tlsAt], .. args[(tlsAt + 3)..]];
}

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: LbBench ROOT HAPROXY_PORT BUILTIN_PORT MEMBER_PORT... | LbBench --config FILE");
    return 2;
}

var ports = args[1..].Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
var self = Path.Combine(AppContext.BaseDirectory, "LbBench.dll");
await using var services = new ServiceCollection()
    .AddBuiltInLoadBalancer(o =>
    {
        o.RootPath = Path.Combine(args[0], "builtin");
        o.ProxyCommand = [Environment.ProcessPath!, self];
    })
    .AddHaProxyLoadBalancer(o => o.RootPath = Path.Combine(args[0], "haproxy"))
    .BuildServiceProvider();
var registry = services.GetRequiredService<ILoadBalancerDriverRegistry>();
Member[] members = [.. ports[2..].Select((port, i) => new Member { Name = $"m{i + 1}", Address = "127.0.0.1", Port = port })];

using var stop = new CancellationTokenSource();
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
(string Driver, int Port)[] balancers = [("haproxy", ports[0]), ("builtin", ports[1])];
try
{
    foreach (var (driver, port) in balancers)
    {
        var definition = new LoadBalancerDefinition { Id = $"bench-{driver}", Deployment = "bench", ListenHost = "127.0.0.1", ListenPort = port, Tls = tls };
        var instance = await registry.Get(driver).EnsureRunningAsync(definition, CancellationToken.None);
        if (instance.State != LoadBalancerInstanceState.Running)
        {
            Console.Error.WriteLine($"{driver}: {instance.State}: {instance.Message}");
            return 1;
        }

        await registry.Get(driver).SetMembersAsync(instance, members, CancellationToken.None);
        Console.WriteLine($"{driver} {instance.Url} pid {instance.ProcessId}");
    }

    Console.WriteLine("ready");
    await Task.Delay(Timeout.InfiniteTimeSpan, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
    return 0;
}
finally
{
    foreach (var (driver, _) in balancers)
    {
        await registry.Get(driver).StopAsync($"bench-{driver}", CancellationToken.None);
    }
}

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
