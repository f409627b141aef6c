using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Strata.LoadBalancing.Proxy;

namespace Strata.LoadBalancing.BuiltIn;

/// <summary>Calls a proxy's admin endpoint with its bearer token.</summary>
internal sealed class AdminClient(HttpClient http)
{
    public async Task<bool> IsAnsweringAsync(string adminUrl, string token, string id, CancellationToken ct)
    {
        try
        {
            using var request = Request(HttpMethod.Get, adminUrl, "/healthz", token);
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            var health = await response.Content.ReadFromJsonAsync(LoadBalancingJsonContext.Default.HealthDocument, ct).ConfigureAwait(false);
            return health?.Id == id;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            // The client's own timeout: a proxy still starting on a loaded machine (its runtime compiling) may take
            // a connection and answer late. It is not answering yet; the start waits on until its own deadline.
            return false;
        }
    }

    public async Task<IReadOnlyList<MemberDocument>> PutMembersAsync(string adminUrl, string token, string id, IReadOnlyList<MemberDocument> members, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Put, adminUrl, "/members", token);
        request.Content = JsonContent.Create(new MembersDocument { Members = members }, LoadBalancingJsonContext.Default.MembersDocument);
        using var response = await SendAsync(request, id, ct).ConfigureAwait(false);
        var document = await response.Content.ReadFromJsonAsync(LoadBalancingJsonContext.Default.MembersDocument, ct).ConfigureAwait(false);
        return document?.Members ?? [];
    }

    public async Task<LoadBalancerStats?> GetStatsAsync(string adminUrl, string token, CancellationToken ct)
    {
        try
        {
            using var request = Request(HttpMethod.Get, adminUrl, "/stats", token);
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? await response.Content.ReadFromJsonAsync(LoadBalancingJsonContext.Default.LoadBalancerStats, ct).ConfigureAwait(false)
                : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string id, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new InvalidOperationException($"Load balancer {id} does not answer at {request.RequestUri}: {ex.Message}", ex);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        var detail = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        response.Dispose();
        throw response.StatusCode switch
        {
            HttpStatusCode.BadRequest => new ArgumentException($"Load balancer {id} rejected the request: {detail}"),
            _ => new InvalidOperationException($"Load balancer {id} answered {(int)response.StatusCode}: {detail}"),
        };
    }

    private static HttpRequestMessage Request(HttpMethod method, string adminUrl, string path, string token)
    {
        var request = new HttpRequestMessage(method, new Uri(new Uri(adminUrl), path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}
