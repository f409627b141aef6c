using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Strata.Api.Contracts;

namespace Strata.Cli.Client;

/// <summary>
/// The one HTTP path from the CLI to the control plane: the bearer token on every request, no client-side timeout
/// (waits and follows end when the control plane ends them), and every error answer, broken-off stream or unreadable
/// line turned into a <see cref="ControlPlaneException"/> that says what happened.
/// </summary>
internal sealed class ControlPlaneHttp : IDisposable
{
    private readonly HttpClient _http;

    public ControlPlaneHttp(string baseUrl, string token)
    {
        _http = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public string BaseUrl => _http.BaseAddress!.ToString().TrimEnd('/');

    public Task<HttpResponseMessage> GetAsync(string path, CancellationToken ct) => _http.GetAsync(path, ct);

    public async Task SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
    }

    public async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync(type, ct).ConfigureAwait(false)
                ?? throw new JsonException("the body is null");
        }
        catch (JsonException ex)
        {
            throw Unreadable(method, path, ex);
        }
        catch (IOException ex)
        {
            throw BrokenOff(method, path, ex);
        }
    }

    /// <summary>An NDJSON answer, one value a line, read as the control plane writes it.</summary>
    public async IAsyncEnumerable<T> StreamAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, [EnumeratorCancellation] CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        while (await ReadLineAsync(reader, method, path, ct).ConfigureAwait(false) is { } line)
        {
            if (line.Length > 0)
            {
                yield return Parse(line, type, method, path);
            }
        }
    }

    /// <summary>Throws the control plane's error answer as a <see cref="ControlPlaneException"/>, with its problem detail when it has one.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
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

    private static async Task<string?> ReadLineAsync(StreamReader reader, HttpMethod method, string path, CancellationToken ct)
    {
        try
        {
            return await reader.ReadLineAsync(ct).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            // A control plane that dies mid-answer (killed, or its machine gone) cuts the stream short or resets the connection.
            throw BrokenOff(method, path, ex);
        }
    }

    private static T Parse<T>(string line, JsonTypeInfo<T> type, HttpMethod method, string path)
    {
        try
        {
            return JsonSerializer.Deserialize(line, type) ?? throw new JsonException("the line is null");
        }
        catch (JsonException ex)
        {
            throw Unreadable(method, path, ex);
        }
    }

    private static ControlPlaneException BrokenOff(HttpMethod method, string path, IOException ex) =>
        new(null, $"the control plane broke off its answer to {method} /{path} ({ex.Message}); `strata server status` tells whether it still runs", null, ex);

    private static ControlPlaneException Unreadable(HttpMethod method, string path, Exception ex) =>
        new(null, $"the control plane's answer to {method} /{path} could not be read ({ex.Message}); is it the same version as this strata (`strata server status`)?", null, ex);

    public void Dispose() => _http.Dispose();
}
