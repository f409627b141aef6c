using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Api.Contracts;
using Strata.Common.Files;
using Strata.ControlPlane.Access;
using Strata.ControlPlane.Api.V1;
using Strata.ControlPlane.Deployments;

namespace Strata.ControlPlane.Hosting;

/// <summary>
/// The control-plane server: the REST API on loopback, the reconciler and the health monitor in one process.
/// On start it writes <c>server.json</c> (pid, URL, version) to the home folder so the CLI can find it.
/// </summary>
public static class ControlPlaneHost
{
    public static string Version { get; } =
        typeof(ControlPlaneHost).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static WebApplication Build(ControlPlaneOptions options, Action<ILoggingBuilder>? logging = null)
    {
        var endpoint = ParseListen(options.Listen);
        ServerRuntimeSettings.KeepFromChildren();
        options.Paths.EnsureExists();

        // No configuration file is watched: the default reload-on-change puts an inotify watcher on the working folder,
        // which wakes the server for every file written beneath it.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        // Per-request lines from the API (polled by every CLI that shows progress) and from HTTP clients would fill the
        // log with routine traffic; warnings and errors from them still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        if (logging is null)
        {
            builder.Logging.AddSimpleConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ");
        }
        else
        {
            logging(builder.Logging);
        }

        builder.WebHost.ConfigureKestrel(k => k.Listen(endpoint));
        builder.Services.AddStrataControlPlane(options);
        var app = builder.Build();

        // Host and Origin are checked before routing; tokens and roles after it, by the endpoint routing chose.
        var hosts = new HostCheck(() => ListeningAddresses(app));
        app.Use(hosts.InvokeAsync);
        app.UseRouting();
        var access = ActivatorUtilities.CreateInstance<AccessMiddleware>(app.Services);
        app.Use(access.InvokeAsync);
        app.Use(HandleErrorsAsync);
        var info = new Lazy<ServerInfo>(() => Describe(app, options));
        app.MapGet("/healthz", () => Results.Text("ok")).WithMetadata(new AnonymousEndpoint());
        app.MapStrataApiV1(() => info.Value, () => app.Lifetime.StopApplication());
        app.MapStrataBackupsApiV1();
        app.MapStrataPinsApiV1();
        app.MapStrataAccessApiV1();
        app.MapStrataHostsApiV1();
        app.Lifetime.ApplicationStarted.Register(() => WriteServerInfo(options.Paths, info.Value));
        app.Lifetime.ApplicationStopped.Register(() => RemoveServerInfo(options.Paths));
        return app;
    }

    private static IPEndPoint ParseListen(string listen)
    {
        if (!IPEndPoint.TryParse(listen, out var endpoint) || !IPAddress.IsLoopback(endpoint.Address) || listen.IndexOf(':') < 0)
        {
            throw new ArgumentException($"--listen '{listen}' must be a loopback address and port, e.g. {ControlPlaneOptions.DefaultListen}");
        }

        return endpoint;
    }

    private static IReadOnlyList<Uri> ListeningAddresses(WebApplication app) =>
        [.. (app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []).Select(a => new Uri(a))];

    private static async Task HandleErrorsAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted && ex is not OperationCanceledException)
        {
            if (ex is not (InvalidSpecException or NotFoundException or ConflictException or BadHttpRequestException or ArgumentException))
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Strata.Api")
                    .LogError(ex, "Request {Method} {Path} failed", context.Request.Method, context.Request.Path);
            }

            await DeploymentEndpoints.WriteProblemAsync(context, ex).ConfigureAwait(false);
        }
    }

    private static ServerInfo Describe(WebApplication app, ControlPlaneOptions options)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? $"http://{options.Listen}";
        return new ServerInfo
        {
            Pid = Environment.ProcessId,
            Url = address.TrimEnd('/'),
            Version = Version,
            Home = options.Paths.Root,
            StartedAt = app.Services.GetRequiredService<TimeProvider>().GetUtcNow(),
        };
    }

    private static void WriteServerInfo(StrataPaths paths, ServerInfo info)
    {
        AtomicFile.Write(paths.ServerInfoFile, JsonSerializer.SerializeToUtf8Bytes(info, ApiJsonContext.Default.ServerInfo), AtomicFileOptions.OwnerOnly);
    }

    private static void RemoveServerInfo(StrataPaths paths)
    {
        // Only remove the file if it is ours: a second server may have started since.
        if (ServerInfoFile.TryRead(paths) is { } current && current.Pid == Environment.ProcessId)
        {
            File.Delete(paths.ServerInfoFile);
        }
    }
}

/// <summary>Reads <c>server.json</c> of a running control plane.</summary>
public static class ServerInfoFile
{
    public static ServerInfo? TryRead(StrataPaths paths)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(paths.ServerInfoFile), ApiJsonContext.Default.ServerInfo);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
