using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Common.Processes;
using Strata.LoadBalancing.Proxy.Admin;
using Strata.LoadBalancing.Proxy.Forwarding;
using Strata.LoadBalancing.Proxy.Membership;
using Yarp.ReverseProxy.Forwarder;

namespace Strata.LoadBalancing.Proxy;

/// <summary>
/// One proxy process: the traffic listener and the admin listener as two Kestrel servers sharing one membership,
/// so admin traffic never shares a port (or a pipeline) with client traffic.
/// </summary>
internal sealed class ProxyServer(ProxyConfig config, ProxyFiles files, TimeProvider timeProvider)
{
    private static readonly TimeSpan s_sweepInterval = TimeSpan.FromMilliseconds(100);

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var connections = new OpenConnections(config.ConnectTimeout, timeProvider);
        using var certificate = config.Tls?.Load();
        using var invokers = UpstreamInvokers.Create(connections);
        await using var proxy = CreateApp(config.ListenHost, config.ListenPort, inlineScheduling: true, config, listen =>
        {
            listen.Use(connections.ClientMiddleware);
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        });
        var loggers = proxy.Services.GetRequiredService<ILoggerFactory>();
        var logger = loggers.CreateLogger("Strata.LoadBalancing.Proxy");
        var table = new MemberTable(timeProvider, config.DrainTimeout, config.PassiveHealthFailures);
        var store = new MembershipStore(table, files, loggers.CreateLogger<MembershipStore>());
        store.Restore(config);
        var forwarder = new RequestForwarder(
            table, BackendSelectors.Create(config.Algorithm), proxy.Services.GetRequiredService<IHttpForwarder>(), invokers, ForwardingSettings.Of(config),
            timeProvider, loggers.CreateLogger<RequestForwarder>());
        proxy.Run(forwarder.ForwardAsync);

        await using var admin = CreateApp(config.AdminHost, config.AdminPort, inlineScheduling: false, limits: null, configure: null);
        AdminApi.Map(admin, config, table, store, forwarder, connections);

        if (await TryStartAsync(proxy, config.ListenHost, config.ListenPort, logger, ct).ConfigureAwait(false) is { } proxyError
            || await TryStartAsync(admin, config.AdminHost, config.AdminPort, logger, ct).ConfigureAwait(false) is { } adminError)
        {
            return ProxyExitCodes.CannotListen;
        }

        var url = AddressOf(proxy);
        var adminUrl = AddressOf(admin);
        WriteState(LoadBalancerInstanceState.Running, url, adminUrl, message: null, certificate is null ? null : new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
        ProxyLog.Started(logger, config.Id, url, adminUrl, config.Algorithm.ToString(), table.Current.Active.Length);

        await SweepUntilStoppedAsync(table, logger, ct).ConfigureAwait(false);

        ProxyLog.Stopping(logger, config.Id);
        await admin.StopAsync(CancellationToken.None).ConfigureAwait(false);
        using (var drain = new CancellationTokenSource(config.DrainTimeout, timeProvider))
        {
            await proxy.StopAsync(drain.Token).ConfigureAwait(false);
        }

        File.Delete(files.State);
        return ProxyExitCodes.Ok;
    }

    /// <param name="limits">The traffic listener's configuration, whose limits apply; null for the admin listener.</param>
    private WebApplication CreateApp(string host, int port, bool inlineScheduling, ProxyConfig? limits, Action<ListenOptions>? configure)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = files.Folder });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // At any level enabled here, ASP.NET Core's hosting layer starts an Activity for every request (about 800 bytes
        // of garbage on the proxy's hot path) that nothing in the proxy reads. Its request messages are below Warning
        // anyway, and a failed start still surfaces as the exception StartAsync throws.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // YARP's forwarder logs each request at Information and each failure, retried or not, at Warning with its stack;
        // it also reports the failure to the caller, which decides on a retry and logs what is worth reading.
        builder.Logging.AddFilter("Yarp", LogLevel.None);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddSingleton(timeProvider);
        builder.Services.AddHttpForwarder();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, LoadBalancingJsonContext.Default));
        // Inline scheduling runs a request on the thread that completed its socket operation instead of queuing it to
        // Kestrel's I/O queues and then the thread pool. Forwarding only awaits I/O, and each of those hops was a wake-up
        // of another thread and, on a busy machine, a wait for a CPU: together they made the p99 many times the median.
        // It is only for handlers that never block; the admin API writes files (with fsync) and keeps the hops.
        if (inlineScheduling)
        {
            builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = limits?.MaxRequestBodyBytes;
            kestrel.Limits.MaxConcurrentConnections = limits?.MaxConnections;
            kestrel.Listen(IPAddress.Parse(host), port, listen => configure?.Invoke(listen));
        });
        return builder.Build();
    }

    /// <summary>Starts one listener; on failure records why (log, stderr, state file) and returns the reason.</summary>
    private async Task<string?> TryStartAsync(WebApplication app, string host, int port, ILogger logger, CancellationToken ct)
    {
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
            return null;
        }
        catch (IOException ex)
        {
            var reason = ex.InnerException is AddressInUseException
                ? $"port {port} on {host} is already in use"
                : $"cannot listen on {host}:{port}: {ex.Message}";
            ProxyLog.StartFailed(logger, config.Id, reason);
            await Console.Error.WriteLineAsync($"strata proxy: load balancer {config.Id} cannot start: {reason}").ConfigureAwait(false);
            WriteState(LoadBalancerInstanceState.Failed, url: null, adminUrl: null, reason, certificateNotAfter: null);
            return reason;
        }
    }

    private async Task SweepUntilStoppedAsync(MemberTable table, ILogger logger, CancellationToken ct)
    {
        try
        {
            await new DrainSweeper(table, s_sweepInterval, timeProvider, name => ProxyLog.MemberRemoved(logger, name)).RunAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Asked to stop.
        }
    }

    private void WriteState(LoadBalancerInstanceState state, string? url, string? adminUrl, string? message, DateTimeOffset? certificateNotAfter) =>
        ProxyFiles.WriteAtomically(
            files.State,
            new ProxyStateDocument
            {
                Id = config.Id,
                State = state,
                ProcessId = Environment.ProcessId,
                ProcessStartTime = ProcessStat.StartTimeOf(Environment.ProcessId) ?? 0,
                Url = url,
                AdminUrl = adminUrl,
                Message = message,
                CertificateNotAfter = certificateNotAfter,
            },
            LoadBalancingJsonContext.Default.ProxyStateDocument);

    private static string AddressOf(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
}
