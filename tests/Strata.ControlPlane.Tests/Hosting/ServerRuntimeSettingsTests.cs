using Strata.ControlPlane.Hosting;

namespace Strata.ControlPlane.Tests.Hosting;

[Trait("kind", "unit")]
public sealed class ServerRuntimeSettingsTests
{
    [Fact]
    public void ApplyTo_Environment_SetsEveryVariable()
    {
        var environment = new Dictionary<string, string?> { ["STRATA_HOME"] = "/srv/strata" };

        ServerRuntimeSettings.ApplyTo(environment);

        Assert.Equal("/srv/strata", environment["STRATA_HOME"]);
        Assert.Equal("0x400000", environment["DOTNET_GCgen0size"]);
        Assert.Equal("0", environment["DOTNET_TieredPGO"]);
        Assert.Equal("10", environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"]);
    }

    [Theory]
    [InlineData(new[] { "server" }, true)]
    [InlineData(new[] { "server", "--listen", "127.0.0.1:7400" }, true)]
    [InlineData(new[] { "server", "start", "--listen", "127.0.0.1:7400" }, false)]
    [InlineData(new[] { "server", "stop" }, false)]
    [InlineData(new[] { "proxy", "--config", "proxy.json" }, false)]
    [InlineData(new[] { "up", "server" }, false)]
    [InlineData(new string[0], false)]
    public void ApplyToServerProcess_OnlyTheControlPlaneItself(string[] args, bool applies) =>
        Assert.Equal(applies, ServerRuntimeSettings.ApplyToServerProcess(args));

    [Fact]
    public void KeepFromChildren_OwnValues_RemovedOthersKept()
    {
        // A copy of an environment, not this process's: other tests start child processes meanwhile.
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DOTNET_GCgen0size"] = "0x400000",
            ["DOTNET_TieredPGO"] = "1",
            ["PATH"] = "/usr/bin",
        };

        ServerRuntimeSettings.KeepFromChildren(name => environment.GetValueOrDefault(name), name => environment.Remove(name));

        Assert.False(environment.ContainsKey("DOTNET_GCgen0size"));
        Assert.Equal("1", environment["DOTNET_TieredPGO"]);
        Assert.Equal("/usr/bin", environment["PATH"]);
    }
}
