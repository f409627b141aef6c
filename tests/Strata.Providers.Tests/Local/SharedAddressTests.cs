using Strata.Providers.Local;
using Strata.Testing;

namespace Strata.Providers.Tests.Local;

/// <summary>The engine as a host's agent runs it: every server on the host's one address, told apart by ports.</summary>
[Trait("kind", "e2e")]
public sealed class SharedAddressTests
{
    [Fact]
    public async Task LaunchAsync_SharedAddress_EveryServerGetsItAndASecondServerOnATakenPortFails()
    {
        await using var local = new LocalProviderHarness(o => o.SharedAddress = o.AddressRangeStart);
        var address = local.Options.AddressRangeStart;
        var image = await local.RegisterImageAsync(("a", "b"));
        var port = LoopbackPorts.GetFree(address);

        var first = await local.LaunchAsync(LocalProviderHarness.Request(image, $"exec python3 -m http.server {port} --bind {address}") with { Ports = [port] });
        await Eventually.WaitAsync(() => IsListening(address, port), $"the first server listens on {address}:{port}");
        var other = await local.LaunchAsync(LocalProviderHarness.Request(image, "exec sleep 1000") with { Ports = [port + 1] });
        var clash = await local.LaunchAsync(LocalProviderHarness.Request(image, "exec sleep 1000") with { Ports = [port] });

        Assert.Equal((ServerInstanceState.Running, address), (first.State, first.Address));
        Assert.Equal((ServerInstanceState.Running, address), (other.State, other.Address));
        Assert.Equal((ServerInstanceState.Failed, $"port {port} is already in use on {address}"), (clash.State, clash.Message));
        Assert.Equal(int.MaxValue, local.Provider.Capabilities.MaxServers);
    }

    [Fact]
    public void Validate_SharedAddressNotAnIPv4Address_Reported()
    {
        var errors = new LocalProviderOptions { SharedAddress = "web1.example" }.Validate();

        Assert.Contains("SharedAddress 'web1.example' is not an IPv4 address", errors);
    }

    private static bool IsListening(string address, int port)
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            client.Connect(address, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
