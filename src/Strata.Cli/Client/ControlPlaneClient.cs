using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Strata.ControlPlane;
using Strata.ControlPlane.Api.V1;
using Strata.ControlPlane.Hosting;

namespace Strata.Cli.Client;

/// <summary>An error answer from the control plane, with its status and, for specs, every diagnostic.</summary>
public sealed class ControlPlaneException(HttpStatusCode status, string message, IReadOnlyList<string>? errors)
    : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    public IReadOnlyList<string> Errors { get; } = errors ?? [];

    public int ExitCode => Status switch
    {
        HttpStatusCode.UnprocessableEntity => ExitCodes.InvalidSpec,
        HttpStatusCode.NotFound => ExitCodes.NotFound,
        HttpStatusCode.Conflict => ExitCodes.Conflict,
        HttpStatusCode.BadRequest => ExitCodes.Usage,
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.AccessDenied,
        _ => ExitCodes.ControlPlaneUnavailable,
    };
}

/// <summary>The REST client the CLI talks to the control plane with.</summary>
public sealed class ControlPlaneClient : IDisposable
{
    private readonly HttpClient _http;

    public ControlPlaneClient(string baseUrl, string token)
    {
        _http = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public string BaseUrl => _http.BaseAddress!.ToString().TrimEnd('/');

    /// <summary>
    /// The environment variable that gives the CLI a token of its own (e.g. one from <c>strata token create</c>) instead
    /// of the home folder's <c>token</c> file.
    /// </summary>
    public const string TokenVariable = "STRATA_TOKEN";

    /// <summary>A client for the control plane described by <c>server.json</c>, or null when none is recorded.</summary>
    public static ControlPlaneClient? FromHome(StrataPaths paths) =>
        ServerInfoFile.TryRead(paths) is { } info && ReadToken(paths) is { } token ? new ControlPlaneClient(info.Url, token) : null;

    /// <summary>The token the CLI presents: <c>$STRATA_TOKEN</c> when set, else the home folder's own.</summary>
    public static string? ReadToken(StrataPaths paths) =>
        Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } given ? given.Trim() : ServerToken.TryRead(paths);

    public async Task<ServerInfo?> TryGetServerInfoAsync(CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var response = await _http.GetAsync("api/v1/server", timeout.Token).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                // The control plane runs but refuses this token: say so rather than that none runs.
                await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
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

    public Task StopServerAsync(CancellationToken ct) => SendAsync(HttpMethod.Post, "api/v1/server/stop", null, ct);

    public Task<ApplyResponse> ApplyAsync(string name, ApplyRequest request, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, $"api/v1/deployments/{Uri.EscapeDataString(name)}", JsonContent.Create(request, ApiJsonContext.Default.ApplyRequest), ApiJsonContext.Default.ApplyResponse, ct);

    public Task<ApplyResponse> PlanAsync(ApplyRequest request, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "api/v1/plans", JsonContent.Create(request, ApiJsonContext.Default.ApplyRequest), ApiJsonContext.Default.ApplyResponse, ct);

    public Task<DeploymentStatusDto> GetStatusAsync(string name, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"api/v1/deployments/{Uri.EscapeDataString(name)}", null, ApiJsonContext.Default.DeploymentStatusDto, ct);

    public Task<IReadOnlyList<DeploymentSummaryDto>> ListAsync(CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "api/v1/deployments", null, ApiJsonContext.Default.IReadOnlyListDeploymentSummaryDto, ct);

    public Task DeleteAsync(string name, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, $"api/v1/deployments/{Uri.EscapeDataString(name)}", null, ct);

    public Task ScaleAsync(string name, string tier, int desired, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/v1/deployments/{Uri.EscapeDataString(name)}/tiers/{Uri.EscapeDataString(tier)}/scale",
            JsonContent.Create(new ScaleRequest(desired), ApiJsonContext.Default.ScaleRequest), ct);

    public Task RollbackAsync(string name, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/v1/deployments/{Uri.EscapeDataString(name)}/rollback", null, ct);

    public Task PromoteAsync(string name, string? tier, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/v1/deployments/{Uri.EscapeDataString(name)}/promote{(tier is null ? "" : "?tier=" + Uri.EscapeDataString(tier))}", null, ct);

    public Task<PinDto> PinAsync(string name, PinRequest request, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/v1/deployments/{Uri.EscapeDataString(name)}/pins",
            JsonContent.Create(request, ApiJsonContext.Default.PinRequest), ApiJsonContext.Default.PinDto, ct);

    public Task<TokenCreatedDto> CreateTokenAsync(TokenCreateRequest request, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "api/v1/tokens", JsonContent.Create(request, AccessJsonContext.Default.TokenCreateRequest), AccessJsonContext.Default.TokenCreatedDto, ct);

    public Task<IReadOnlyList<TokenDto>> ListTokensAsync(CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "api/v1/tokens", null, AccessJsonContext.Default.IReadOnlyListTokenDto, ct);

    public Task RevokeTokenAsync(string name, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, $"api/v1/tokens/{Uri.EscapeDataString(name)}", null, ct);

    public Task<IReadOnlyList<AuditEntryDto>> ReadAuditAsync(string? deployment, TimeSpan? since, CancellationToken ct)
    {
        var query = new[]
        {
            deployment is null ? null : $"deployment={Uri.EscapeDataString(deployment)}",
            since is { } window ? $"sinceSeconds={(long)window.TotalSeconds}" : null,
        }.OfType<string>().ToList();
        return SendAsync(HttpMethod.Get, "api/v1/audit" + (query.Count == 0 ? "" : "?" + string.Join('&', query)), null, AccessJsonContext.Default.IReadOnlyListAuditEntryDto, ct);
    }

    public IAsyncEnumerable<DeploymentEvent> EventsAsync(string name, long after, bool follow, CancellationToken ct) =>
        StreamAsync($"api/v1/deployments/{Uri.EscapeDataString(name)}/events?after={after}&follow={(follow ? "true" : "false")}",
            line => JsonSerializer.Deserialize(line, ApiJsonContext.Default.DeploymentEvent)!, ct);

    public IAsyncEnumerable<LogLineDto> LogsAsync(string name, string server, int tail, bool follow, CancellationToken ct) =>
        StreamAsync($"api/v1/deployments/{Uri.EscapeDataString(name)}/servers/{Uri.EscapeDataString(server)}/logs?tail={tail}&follow={(follow ? "true" : "false")}",
            line => JsonSerializer.Deserialize(line, ApiJsonContext.Default.LogLineDto)!, ct);

    private async IAsyncEnumerable<T> StreamAsync<T>(string path, Func<string, T> parse, [EnumeratorCancellation] CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.Length > 0)
            {
                yield return parse(line);
            }
        }
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(type, ct).ConfigureAwait(false))!;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        ProblemDto? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.ProblemDto, ct).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            // Not a problem document; the status line says enough.
        }

        throw new ControlPlaneException(response.StatusCode, problem?.Detail ?? $"the control plane answered {(int)response.StatusCode}", problem?.Errors);
    }

    public void Dispose() => _http.Dispose();
}
