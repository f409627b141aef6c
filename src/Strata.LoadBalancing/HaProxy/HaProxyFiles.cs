using Strata.LoadBalancing.Proxy;

namespace Strata.LoadBalancing.HaProxy;

/// <summary>The files of one haproxy, all in its own folder under the driver's root.</summary>
internal sealed record HaProxyFiles(string Folder)
{
    /// <summary>The configuration; mode 0600, as it holds the pin key.</summary>
    public string Config => Path.Combine(Folder, "haproxy.cfg");

    /// <summary>The Runtime API socket; mode 0600, so only the control plane's user can change membership.</summary>
    public string Socket => Path.Combine(Folder, "admin.sock");

    public string PidFile => Path.Combine(Folder, "haproxy.pid");

    /// <summary>Member name to server slot (<c>web-1 s3</c>) of every active member, read by pinning and sticky sessions.</summary>
    public string PinMap => Path.Combine(Folder, "pins.map");

    /// <summary>Member name to server slot of every member the load balancer knows, in rotation or not, for pins signed with <c>--any-state</c>.</summary>
    public string AnyPinMap => Path.Combine(Folder, "any-pins.map");

    /// <summary>Server slot to member name (<c>s3 web-1</c>) of every active member, for the sticky cookie's value.</summary>
    public string SlotMap => Path.Combine(Folder, "slots.map");

    /// <summary>The desired definition, members and the running process, persisted so haproxy can be adopted or repopulated.</summary>
    public string State => Path.Combine(Folder, "haproxy.state.json");

    /// <summary>With TLS: the certificate followed by its private key, as <c>bind … ssl crt</c> wants them; mode 0600.</summary>
    public string Certificate => Path.Combine(Folder, "tls.pem");

    public string Log => Path.Combine(Folder, "haproxy.log");

    public HaProxyStateDocument? ReadState() =>
        ProxyFiles.TryRead(State, LoadBalancingJsonContext.Default.HaProxyStateDocument);

    public void WriteState(HaProxyStateDocument state) =>
        ProxyFiles.WriteAtomically(State, state, LoadBalancingJsonContext.Default.HaProxyStateDocument, ownerOnly: true);
}
