using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Strata.Api.Contracts;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Hosting;

namespace Strata.Cli.Client;

/// <summary>
/// The typed REST client the CLI talks to the control plane with: deployments, pins, tokens, audit, events, logs and
/// backups. The only way to get one is <see cref="ConnectAsync"/>, which checks who listens before the token is sent.
/// </summary>
public sealed class ControlPlaneClient : IDisposable
{
    /// <summary>How long <see cref="TryGetServerInfoAsync"/> waits for an answer before taking the control plane for gone.</summary>
    private static readonly TimeSpan s_pingTimeout = TimeSpan.FromSeconds(2);

    private readonly ControlPlaneHttp _http;

    private ControlPlaneClient(string baseUrl, string token) => _http = new ControlPlaneHttp(baseUrl, token);

    public string BaseUrl => _http.BaseUrl;

    /// <summary>
    /// The environment variable that gives the CLI a token of its own (e.g. one from <c>strata token create</c>) instead
    /// of the home folder's <c>token</c> file.
    /// </summary>
    public const string TokenVariable = "STRATA_TOKEN";

    /// <summary>The token the CLI presents: <c>$STRATA_TOKEN</c> when set, else the home folder's own.</summary>
    public static string? ReadToken(StrataPaths paths) =>
        Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } given ? given.Trim() : ServerToken.TryRead(paths);

    /// <summary>
    /// A client for the control plane <c>server.json</c> names, or null when none answers (or the home has no token).
    /// Throws <see cref="UntrustedListenerException"/>, before anything is sent, when another process holds its address.
    /// </summary>
    public static async Task<ControlPlaneClient?> ConnectAsync(StrataPaths paths, CancellationToken ct)
    {
        if (ServerInfoFile.TryRead(paths) is not { } info || ListenerOwnership.IsTrusted(info, out var reason) is not { } trusted)
        {
            return null;
        }

        if (!trusted)
        {
            throw new UntrustedListenerException(
                $"refusing to send the token to {info.Url}: {reason}; another program may have taken the port after the control plane stopped. "
                + $"Stop that program, or start the control plane on another address (`strata server start --listen 127.0.0.1:PORT`)");
        }

        if (ReadToken(paths) is not { } token)
        {
            return null;
        }

        var client = new ControlPlaneClient(info.Url, token);
        if (await client.TryGetServerInfoAsync(ct).ConfigureAwait(false) is not null)
        {
            return client;
        }

        client.Dispose();
        return null;
    }

    /// <summary>Who serves, or null when nothing answers in time; throws when the control plane refuses the token.</summary>
    public async Task<ServerInfo?> TryGetServerInfoAsync(CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(s_pingTimeout);
            using var response = await _http.GetAsync("api/v1/server", timeout.Token).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                // The control plane runs but refuses this token: say so rather than that none runs.
                await ControlPlaneHttp.EnsureSuccessAsync(response, ct).ConfigureAwait(false);
            }

            return response.IsSuccessStatusCode
                ? await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.ServerInfo, timeout.Token).ConfigureAwait(false)
                : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    public Task StopServerAsync(CancellationToken ct) => _http.SendAsync(HttpMethod.Post, "api/v1/server/stop", null, ct);

    public Task<ApplyResponse> ApplyAsync(string name, ApplyRequest request, CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Put, Deployment(name), JsonContent.Create(request, ApiJsonContext.Default.ApplyRequest), ApiJsonContext.Default.ApplyResponse, ct);

    public Task<ApplyResponse> PlanAsync(ApplyRequest request, CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Post, "api/v1/plans", JsonContent.Create(request, ApiJsonContext.Default.ApplyRequest), ApiJsonContext.Default.ApplyResponse, ct);

    public Task<DeploymentStatusDto> GetStatusAsync(string name, CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Get, Deployment(name), null, ApiJsonContext.Default.DeploymentStatusDto, ct);

    public Task<IReadOnlyList<DeploymentSummaryDto>> ListAsync(CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Get, "api/v1/deployments", null, ApiJsonContext.Default.IReadOnlyListDeploymentSummaryDto, ct);

    public Task DeleteAsync(string name, CancellationToken ct) => _http.SendAsync(HttpMethod.Delete, Deployment(name), null, ct);

    public Task ScaleAsync(string name, string tier, int desired, CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Post, $"{Deployment(name)}/tiers/{Uri.EscapeDataString(tier)}/scale",
            JsonContent.Create(new ScaleRequest(desired), ApiJsonContext.Default.ScaleRequest), ct);

    public Task RollbackAsync(string name, CancellationToken ct) => _http.SendAsync(HttpMethod.Post, $"{Deployment(name)}/rollback", null, ct);

    public Task PromoteAsync(string name, string? tier, CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Post, $"{Deployment(name)}/promote{Query(("tier", tier))}", null, ct);

    public Task<PinDto> PinAsync(string name, PinRequest request, CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Post, $"{Deployment(name)}/pins", JsonContent.Create(request, ApiJsonContext.Default.PinRequest), ApiJsonContext.Default.PinDto, ct);

    public Task<TokenCreatedDto> CreateTokenAsync(TokenCreateRequest request, CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Post, "api/v1/tokens", JsonContent.Create(request, AccessJsonContext.Default.TokenCreateRequest), AccessJsonContext.Default.TokenCreatedDto, ct);

    public Task<IReadOnlyList<TokenDto>> ListTokensAsync(CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Get, "api/v1/tokens", null, AccessJsonContext.Default.IReadOnlyListTokenDto, ct);

    public Task RevokeTokenAsync(string name, CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Delete, $"api/v1/tokens/{Uri.EscapeDataString(name)}", null, ct);

    public Task<HostDto> AddHostAsync(HostAddRequest request, CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Post, "api/v1/hosts", JsonContent.Create(request, HostJsonContext.Default.HostAddRequest), HostJsonContext.Default.HostDto, ct);

    public Task<IReadOnlyList<HostDto>> ListHostsAsync(CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Get, "api/v1/hosts", null, HostJsonContext.Default.IReadOnlyListHostDto, ct);

    public Task RemoveHostAsync(string name, bool force, CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Delete, $"api/v1/hosts/{Uri.EscapeDataString(name)}{(force ? "?force=true" : "")}", null, ct);

    /// <summary>Marks a host as draining (<paramref name="draining"/>) or ready again.</summary>
    public Task<HostDto> SetHostDrainingAsync(string name, bool draining, CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Post, $"api/v1/hosts/{Uri.EscapeDataString(name)}/{(draining ? "drain" : "resume")}", null, HostJsonContext.Default.HostDto, ct);

    public Task<IReadOnlyList<AuditEntryDto>> ReadAuditAsync(string? deployment, TimeSpan? since, CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Get, "api/v1/audit" + Query(("deployment", deployment), ("sinceSeconds", since is { } window ? $"{(long)window.TotalSeconds}" : null)),
            null, AccessJsonContext.Default.IReadOnlyListAuditEntryDto, ct);

    public IAsyncEnumerable<DeploymentEvent> EventsAsync(string name, long after, bool follow, CancellationToken ct) =>
        _http.StreamAsync(HttpMethod.Get, $"{Deployment(name)}/events?after={after}&follow={(follow ? "true" : "false")}", null, ApiJsonContext.Default.DeploymentEvent, ct);

    public IAsyncEnumerable<LogLineDto> LogsAsync(string name, string server, int tail, bool follow, CancellationToken ct) =>
        _http.StreamAsync(HttpMethod.Get, $"{Deployment(name)}/servers/{Uri.EscapeDataString(server)}/logs?tail={tail}&follow={(follow ? "true" : "false")}",
            null, ApiJsonContext.Default.LogLineDto, ct);

    public Task<BackupListDto> ListBackupsAsync(string name, CancellationToken ct) =>
        _http.SendAsync(HttpMethod.Get, $"{Deployment(name)}/backups", null, BackupJsonContext.Default.BackupListDto, ct);

    /// <summary>Takes a backup now; the answer streams progress, then one line per backup taken.</summary>
    public IAsyncEnumerable<BackupStreamLine> RunBackupAsync(string name, string? tier, string? policy, CancellationToken ct) =>
        _http.StreamAsync(HttpMethod.Post, $"{Deployment(name)}/backups{Query(("tier", tier), ("policy", policy))}", null, BackupJsonContext.Default.BackupStreamLine, ct);

    /// <summary>Runs restore drills now; the answer streams one line per drill.</summary>
    public IAsyncEnumerable<BackupStreamLine> VerifyBackupAsync(string name, string? tier, string? policy, CancellationToken ct) =>
        _http.StreamAsync(HttpMethod.Post, $"{Deployment(name)}/backups/verify{Query(("tier", tier), ("policy", policy))}", null, BackupJsonContext.Default.BackupStreamLine, ct);

    public IAsyncEnumerable<BackupStreamLine> DrillRegionAsync(string name, string region, CancellationToken ct) =>
        _http.StreamAsync(HttpMethod.Post, $"{Deployment(name)}/drills/region{Query(("region", region))}", null, BackupJsonContext.Default.BackupStreamLine, ct);

    public IAsyncEnumerable<BackupStreamLine> RestoreAsync(string name, RestoreRequest request, CancellationToken ct) =>
        _http.StreamAsync(HttpMethod.Post, $"{Deployment(name)}/restore", JsonContent.Create(request, BackupJsonContext.Default.RestoreRequest), BackupJsonContext.Default.BackupStreamLine, ct);

    private static string Deployment(string name) => $"api/v1/deployments/{Uri.EscapeDataString(name)}";

    /// <summary>A query string of the parameters that have a value, or nothing.</summary>
    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var given = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return given.Count == 0 ? "" : "?" + string.Join('&', given);
    }

    public void Dispose() => _http.Dispose();
}
