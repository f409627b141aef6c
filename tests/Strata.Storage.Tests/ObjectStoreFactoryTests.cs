using Microsoft.Extensions.DependencyInjection;
using Strata.Testing;

namespace Strata.Storage.Tests;

[Trait("kind", "unit")]
public sealed class ObjectStoreFactoryTests
{
    [Fact]
    public void Create_UnknownType_ThrowsListingKnownTypes()
    {
        var factory = ObjectStores.CreateFactory();

        var error = Assert.Throws<ArgumentException>(() => factory.Create("x", new Dictionary<string, string>()));

        Assert.StartsWith("unknown store type 'x'; known: filesystem, s3", error.Message);
    }

    [Fact]
    public void Create_FileSystemWithoutRoot_ThrowsNamingSetting()
    {
        var factory = ObjectStores.CreateFactory();

        var error = Assert.Throws<ArgumentException>(() => factory.Create("filesystem", new Dictionary<string, string>()));

        Assert.Contains("'root'", error.Message);
    }

    [Fact]
    public async Task Create_FileSystemWithRoot_StoresObjectsBelowRoot()
    {
        using var root = new TemporaryDirectory();
        var store = ObjectStores.CreateFactory().Create("filesystem", new Dictionary<string, string> { ["root"] = root.Path });

        await store.PutAsync("a/b.txt", new MemoryStream([42]), CancellationToken.None).WithTimeout();

        Assert.Equal([42], File.ReadAllBytes(root.Combine("a", "b.txt")));
    }

    [Fact]
    public async Task AddStrataObjectStores_Configured_ResolvesFactoryAndFileSystemStore()
    {
        using var root = new TemporaryDirectory();
        var services = new ServiceCollection().AddStrataObjectStores(o => o.RootPath = root.Path);
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IObjectStore>();
        await store.PutAsync("k", new MemoryStream([7]), CancellationToken.None).WithTimeout();

        Assert.Equal("filesystem", store.Name);
        Assert.Equal(["filesystem", "s3"], provider.GetRequiredService<IObjectStoreFactory>().KnownTypes);
        Assert.True(File.Exists(root.Combine("k")));
    }
}
