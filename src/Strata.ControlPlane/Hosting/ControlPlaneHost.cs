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
using Strata.ControlPlane.Api.V1;

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
        var token = ServerToken.LoadOrCreate(options.Paths);

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

        app.Use((context, next) => Authenticate(context, next, token));
        app.Use(HandleErrorsAsync);
        var info = new Lazy<ServerInfo>(() => Describe(app, options));
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapStrataApiV1(() => info.Value, () => app.Lifetime.StopApplication());
        app.MapStrataBackupsApiV1();
        app.MapStrataPinsApiV1();
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

    private static Task Authenticate(HttpContext context, RequestDelegate next, string token)
    {
        if (!context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            return next(context);
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == token.Length + 7 && header.StartsWith("Bearer ", StringComparison.Ordinal)
            && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.ASCII.GetBytes(header[7..]), System.Text.Encoding.ASCII.GetBytes(token)))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return context.Response.WriteAsJsonAsync(
            new ProblemDto { Title = "unauthorized", Status = 401, Detail = "send the token from $STRATA_HOME/token as 'Authorization: Bearer …'" },
            ApiJsonContext.Default.ProblemDto);
    }

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
        var temporary = paths.ServerInfoFile + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(info, ApiJsonContext.Default.ServerInfo));
        File.Move(temporary, paths.ServerInfoFile, overwrite: true);
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
