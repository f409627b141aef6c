using System.Net;

namespace Strata.Providers.Local;

/// <summary>Where the local provider's servers get their addresses.</summary>
internal interface IServerAddresses
{
    /// <summary>How many servers can hold an address at once.</summary>
    int Capacity { get; }

    string Allocate();

    /// <summary>Marks an address as taken, for a server that already holds it.</summary>
    void Reserve(string address);

    void Release(string address);
}

internal static class ServerAddresses
{
    /// <summary>The host's own address when <see cref="LocalProviderOptions.SharedAddress"/> is set, else a loopback pool.</summary>
    public static IServerAddresses Create(LocalProviderOptions options, string root, IEnumerable<string> inUse)
    {
        if (options.SharedAddress is { } shared)
        {
            return new HostAddress(shared);
        }

        var unused = new List<string>();
        return new AddressPool(
            LocalProviderOptions.ParseLoopback(options.AddressRangeStart, "", unused)!.Value,
            LocalProviderOptions.ParseLoopback(options.AddressRangeEnd, "", unused)!.Value,
            Path.Combine(root, "address-cursor"),
            inUse);
    }
}

/// <summary>
/// One address for every server, as on a machine of its own: the servers on a host are told apart by their ports, and
/// a port another server holds fails the launch (the control plane's placement keeps that from happening).
/// </summary>
internal sealed class HostAddress(string address) : IServerAddresses
{
    public int Capacity => int.MaxValue;

    public string Allocate() => address;

    public void Reserve(string taken)
    {
    }

    public void Release(string released)
    {
    }

    public static bool IsValid(string? text) => IPAddress.TryParse(text ?? "", out var parsed)
        && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
}
