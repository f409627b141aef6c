using Strata.ControlPlane.Hosting;

namespace Strata.ControlPlane.Tests.Hosting;

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
        Assert.Equal("0", environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"]);
    }

    [Fact]
    public void KeepFromChildren_OwnValues_RemovedOthersKept()
    {
        Environment.SetEnvironmentVariable("DOTNET_GCgen0size", "0x400000");
        Environment.SetEnvironmentVariable("DOTNET_TieredPGO", "1");
        try
        {
            ServerRuntimeSettings.KeepFromChildren();

            Assert.Null(Environment.GetEnvironmentVariable("DOTNET_GCgen0size"));
            Assert.Equal("1", Environment.GetEnvironmentVariable("DOTNET_TieredPGO"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOTNET_GCgen0size", null);
            Environment.SetEnvironmentVariable("DOTNET_TieredPGO", null);
        }
    }
}
