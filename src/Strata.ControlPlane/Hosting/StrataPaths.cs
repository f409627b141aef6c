namespace Strata.ControlPlane.Hosting;

/// <summary>
/// The layout of the folder that holds everything Strata keeps on this machine: state, logs, servers, images, load balancers.
/// It is <c>$STRATA_HOME</c>, or <c>~/.strata</c> when that is not set.
/// </summary>
public sealed record StrataPaths(string Root)
{
    public static StrataPaths FromEnvironment() => new(Path.GetFullPath(Strata.Storage.StrataHome.Resolve()));

    public string StateDatabase => Path.Combine(Root, "state.db");

    /// <summary>Written by a running control plane: its pid, URL and version.</summary>
    public string ServerInfoFile => Path.Combine(Root, "server.json");

    /// <summary>The bearer token the CLI presents to the control plane (mode 0600).</summary>
    public string TokenFile => Path.Combine(Root, "token");

    public string ServerLog => Path.Combine(Root, "logs", "server.log");

    public string LocalProviderRoot => Path.Combine(Root, "local");

    public string LoadBalancersRoot => Path.Combine(Root, "loadbalancers");

    public string ObjectStoreRoot => Path.Combine(Root, "objects");

    /// <summary>The host keys Strata trusts, in OpenSSH's <c>known_hosts</c> format (mode 0600).</summary>
    public string KnownHostsFile => Path.Combine(Root, "hosts", "known_hosts");

    /// <summary>Creates the folder (mode 0700) or checks that an existing one is the user's alone (see <see cref="HomeFolder"/>).</summary>
    public void EnsureExists()
    {
        HomeFolder.Secure(Root);
        Directory.CreateDirectory(Path.GetDirectoryName(ServerLog)!);
    }
}
