namespace Strata.LoadBalancing;

/// <summary>The folder a driver keeps one load balancer's files in (configuration, state, log, keys).</summary>
internal static class LoadBalancerFolder
{
    /// <summary>
    /// Deletes the folder of a load balancer that was stopped for good, and nothing outside it (the drivers' shared
    /// roots and other load balancers' folders stay). A missing folder is already removed.
    /// </summary>
    public static void Remove(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
