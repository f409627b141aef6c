using Strata.Providers.Local;
using Strata.Storage;
using Strata.Testing;

namespace Strata.Providers.Hosts.Tests;

/// <summary>
/// Bakes image folders into the control plane's object store with the local provider, as the control plane does
/// before sending them to hosts, and makes launch requests from them.
/// </summary>
internal sealed class ImageBakery(IObjectStore store) : IAsyncDisposable
{
    private readonly TemporaryDirectory _folder = new("strata-images");
    private ICloudProvider? _local;

    /// <summary>An image holding <c>hello.txt</c> with <paramref name="greeting"/>.</summary>
    public Task<MachineImage> BakeAsync(string greeting)
    {
        var source = _folder.Combine("sources", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "hello.txt"), greeting);
        _local ??= LocalProviderFactory.Create(new LocalProviderOptions { RootPath = _folder.Combine("local") }, store);
        return _local.RegisterImageAsync(source, CancellationToken.None);
    }

    /// <summary>A server serving its root folder over HTTP on port 8000 of its address.</summary>
    public LaunchRequest HttpServer(string id, MachineImage image) =>
        Request(id, image, null) with
        {
            Ports = [8000],
            Settings = identity => new LaunchSettings { RunCommand = $"exec python3 -m http.server 8000 --bind {identity.Address}" },
        };

    public LaunchRequest Request(string id, MachineImage image, string? run) => new()
    {
        ServerId = id,
        Deployment = "demo",
        Tier = "web",
        Image = image,
        Settings = _ => new LaunchSettings { RunCommand = run ?? "exec sleep 60" },
    };

    public ValueTask DisposeAsync()
    {
        (_local as IDisposable)?.Dispose();
        _folder.Dispose();
        return ValueTask.CompletedTask;
    }
}
