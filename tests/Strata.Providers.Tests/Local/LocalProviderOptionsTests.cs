using Microsoft.Extensions.DependencyInjection;
using Strata.Providers.Local;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.Providers.Tests.Local;

[Trait("kind", "unit")]
public sealed class LocalProviderOptionsTests
{
    [Fact]
    public void Validate_Defaults_NoErrors()
    {
        var options = new LocalProviderOptions();

        Assert.Empty(options.Validate());
        Assert.Equal(Path.Combine(StrataHome.Resolve(), "local"), options.RootPath);
        Assert.Equal(TimeSpan.FromSeconds(10), options.TerminateGrace);
        Assert.Equal(["local-a", "local-b", "local-c"], options.Zones);
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEveryOne()
    {
        var options = new LocalProviderOptions
        {
            AddressRangeStart = "127.0.0.5",
            AddressRangeEnd = "10.0.0.1",
            Zones = [],
            StartupWindow = TimeSpan.FromSeconds(-1),
            LogFilesKept = 0,
        };

        var errors = options.Validate();

        Assert.Equal(5, errors.Count);
        Assert.Contains(errors, e => e.Contains("127.0.0.0/24"));
        Assert.Contains(errors, e => e.Contains("not a loopback address"));
        Assert.Contains(errors, e => e.StartsWith("Zones"));
        Assert.Contains(errors, e => e.StartsWith("StartupWindow"));
        Assert.Contains(errors, e => e.StartsWith("LogFilesKept"));
    }

    [Fact]
    public void Create_InvalidOptions_ThrowsListingProblems()
    {
        using var folder = new TemporaryDirectory();
        var store = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = folder.Path });

        var error = Assert.Throws<ArgumentException>(() =>
            LocalProviderFactory.Create(new LocalProviderOptions { RootPath = folder.Path, AddressRangeStart = "127.9.0.9", AddressRangeEnd = "127.9.0.1" }, store));

        Assert.Contains("is after AddressRangeEnd", error.Message);
    }

    [Fact]
    public async Task AddLocalProvider_Configured_ResolvesProviderNamedLocalWithCapabilities()
    {
        using var folder = new TemporaryDirectory();
        var services = new ServiceCollection()
            .AddStrataObjectStores(o => o.RootPath = folder.Combine("objects"))
            .AddLocalProvider(o =>
            {
                o.RootPath = folder.Combine("local");
                o.AddressRangeStart = "127.3.0.1";
                o.AddressRangeEnd = "127.3.0.10";
            });
        await using var container = services.BuildServiceProvider();

        var provider = Assert.Single(container.GetServices<ICloudProvider>());

        Assert.Equal("local", provider.Name);
        Assert.Equal(10, provider.Capabilities.MaxServers);
        Assert.True(provider.Capabilities.LoopbackAddresses);
        Assert.Equal(["local-a", "local-b", "local-c"], provider.Zones);
    }
}
