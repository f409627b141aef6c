using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Strata.ControlPlane;
using Strata.ControlPlane.Api.V1;
using Strata.ControlPlane.Hosting;

namespace Strata.Cli.Client;

/// <summary>The REST client of the backup endpoints: listing, and streams of backup, restore and drill lines.</summary>
public sealed class BackupClient : IDisposable
{
    private readonly HttpClient _http;

    private BackupClient(string baseUrl, string token)
    {
        _http = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>A client for the running control plane, starting it if needed (see <see cref="ControlPlaneLauncher.RequireAsync"/>); null when none could be reached.</summary>
    public static async Task<BackupClient?> ConnectAsync(CliContext context, CancellationToken ct)
    {
        using var client = await ControlPlaneLauncher.RequireAsync(context, ct).ConfigureAwait(false);
        return client is not null && ControlPlaneClient.ReadToken(context.Paths) is { } token ? new BackupClient(client.BaseUrl, token) : null;
    }

    public async Task<BackupListDto> ListAsync(string deployment, CancellationToken ct)
    {
        using var response = await _http.GetAsync($"api/v1/deployments/{Uri.EscapeDataString(deployment)}/backups", ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(BackupJsonContext.Default.BackupListDto, ct).ConfigureAwait(false))!;
    }

    public IAsyncEnumerable<BackupStreamLine> RunAsync(string deployment, string? tier, string? policy, CancellationToken ct) =>
        StreamAsync($"api/v1/deployments/{Uri.EscapeDataString(deployment)}/backups{Query(tier, policy)}", null, ct);

    public IAsyncEnumerable<BackupStreamLine> VerifyAsync(string deployment, string? tier, string? policy, CancellationToken ct) =>
        StreamAsync($"api/v1/deployments/{Uri.EscapeDataString(deployment)}/backups/verify{Query(tier, policy)}", null, ct);

    public IAsyncEnumerable<BackupStreamLine> RestoreAsync(string deployment, RestoreRequest request, CancellationToken ct) =>
        StreamAsync($"api/v1/deployments/{Uri.EscapeDataString(deployment)}/restore", JsonContent.Create(request, BackupJsonContext.Default.RestoreRequest), ct);

    private static string Query(string? tier, string? policy)
    {
        var parts = new[] { tier is null ? null : $"tier={Uri.EscapeDataString(tier)}", policy is null ? null : $"policy={Uri.EscapeDataString(policy)}" }.OfType<string>().ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private async IAsyncEnumerable<BackupStreamLine> StreamAsync(string path, HttpContent? content, [EnumeratorCancellation] CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.Length > 0)
            {
                yield return JsonSerializer.Deserialize(line, BackupJsonContext.Default.BackupStreamLine)!;
            }
        }
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
