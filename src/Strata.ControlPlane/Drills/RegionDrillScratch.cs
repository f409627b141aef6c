using System.Security.Cryptography;
using Strata.LoadBalancing;
using Strata.Providers;

namespace Strata.ControlPlane.Drills;

/// <summary>
/// What a region drill started, so that all of it is torn down whatever happened: its servers, their volumes and its
/// load balancers, under a deployment of their own (<c>&lt;deployment&gt;-region-drill</c>) that no reconciler knows.
/// </summary>
internal sealed class RegionDrillScratch(ICloudProvider provider, string deployment)
{
    /// <summary>The suffix of every scratch deployment's name, by which leftovers of an interrupted drill are found.</summary>
    public const string Suffix = "-region-drill";

    /// <summary>What every scratch server's and load balancer's name has, by which those of an interrupted drill are found.</summary>
    public const string Marker = "-rdrill-";

    private readonly List<string> _servers = [];
    private readonly List<string> _volumes = [];
    private readonly List<(ILoadBalancerDriver Driver, string Id)> _loadBalancers = [];
    private readonly Lock _lock = new();

    /// <summary>The scratch deployment's name: <c>&lt;deployment&gt;-region-drill</c>.</summary>
    public string Deployment { get; } = Truncate(deployment, 40) + Suffix;

    /// <summary>A new scratch name for a server or load balancer of <paramref name="logicalName"/>, e.g. <c>shop-db-rdrill-3f9a1c</c>.</summary>
    public string NameFor(string logicalName) =>
        $"{Truncate(deployment, 20)}-{Truncate(logicalName, 15)}{Marker}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    public void Server(string id) => Add(_servers, id);

    public void Volume(string id) => Add(_volumes, id);

    public void LoadBalancer(ILoadBalancerDriver driver, string id)
    {
        lock (_lock)
        {
            _loadBalancers.Add((driver, id));
        }
    }

    private void Add(List<string> list, string id)
    {
        lock (_lock)
        {
            list.Add(id);
        }
    }

    /// <summary>
    /// Stops the load balancers, then the servers, then deletes the volumes, each whatever became of the others; even
    /// when the drill was cancelled. Returns what could not be removed, which is left for the sweep to try again.
    /// </summary>
    public async Task<IReadOnlyList<string>> TearDownAsync()
    {
        var left = new List<string>();
        foreach (var (driver, id) in _loadBalancers)
        {
            await TryAsync(left, $"load balancer {id}", () => driver.StopAsync(id, CancellationToken.None)).ConfigureAwait(false);
        }

        await Task.WhenAll(_servers.Select(id => TryAsync(left, $"server {id}", () => provider.TerminateAsync(id, null, CancellationToken.None)))).ConfigureAwait(false);
        foreach (var id in _volumes)
        {
            await TryAsync(left, $"volume {id}", () => provider.DeleteVolumeAsync(id, CancellationToken.None)).ConfigureAwait(false);
        }

        return left;
    }

    private async Task TryAsync(List<string> left, string what, Func<Task> remove)
    {
        try
        {
            await remove().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ProviderException or IOException or InvalidOperationException)
        {
            lock (_lock)
            {
                left.Add($"{what}: {ex.Message}");
            }
        }
    }

    internal static string Truncate(string text, int length) => text.Length <= length ? text : text[..length].TrimEnd('-');
}
