using Strata.Providers.Local;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.Providers.Tests.Local;

/// <summary>A local provider over a temporary folder; on dispose every server it knows is terminated and the folder deleted.</summary>
internal sealed class LocalProviderHarness : IAsyncDisposable
{
    private readonly List<ICloudProvider> _providers = [];

    public LocalProviderHarness(Action<LocalProviderOptions>? configure = null)
    {
        Folder = new TemporaryDirectory("strata-local");
        Store = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = Folder.Combine("objects") });
        // A block of its own per harness, so tests running in parallel do not compete for addresses and ports.
        Addresses = LoopbackBlocks.Acquire();
        Options = new LocalProviderOptions
        {
            RootPath = Folder.Combine("local"),
            AddressRangeStart = Addresses.Bounds.First,
            AddressRangeEnd = Addresses.Bounds.Last,
            StartupWindow = TimeSpan.FromMilliseconds(250),
            TerminateGrace = TimeSpan.FromSeconds(5),
            PollInterval = TimeSpan.FromMilliseconds(20),
        };
        configure?.Invoke(Options);
        Provider = CreateProvider();
    }

    public TemporaryDirectory Folder { get; }

    /// <summary>The loopback block the provider's servers take their addresses from.</summary>
    public LoopbackBlock Addresses { get; }

    public IObjectStore Store { get; }

    public LocalProviderOptions Options { get; }

    public ICloudProvider Provider { get; }

    /// <summary>A second provider over the same folder, as after a restart of the control plane.</summary>
    public ICloudProvider CreateProvider()
    {
        var provider = LocalProviderFactory.Create(Options, Store);
        _providers.Add(provider);
        return provider;
    }

    public static string NewId(string prefix = "srv") => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    /// <summary>Writes an image folder with the given files and registers it.</summary>
    public async Task<MachineImage> RegisterImageAsync(params (string Path, string Content)[] files)
    {
        var folder = Folder.Combine("image-src-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        foreach (var (path, content) in files)
        {
            Folder.WriteFile(Path.Combine(Path.GetFileName(folder), path), content);
        }

        return await Provider.RegisterImageAsync(folder, CancellationToken.None).WithTimeout();
    }

    public static LaunchRequest Request(MachineImage image, string run, string? id = null, string? configure = null) => new()
    {
        ServerId = id ?? NewId(),
        Deployment = "hello",
        Tier = "web",
        Image = image,
        Settings = _ => new LaunchSettings { RunCommand = run, ConfigureCommand = configure },
    };

    public Task<ServerInstance> LaunchAsync(LaunchRequest request) => Provider.LaunchAsync(request, CancellationToken.None).WithTimeout();

    public async ValueTask DisposeAsync()
    {
        var errors = new List<Exception>();
        foreach (var server in await Provider.ListServersAsync(null, CancellationToken.None).WithTimeout())
        {
            try
            {
                await Provider.TerminateAsync(server.Id, TimeSpan.FromSeconds(1), CancellationToken.None).WithTimeout();
            }
            catch (Exception ex)
            {
                errors.Add(ex);
            }
        }

        foreach (var provider in _providers)
        {
            ((IDisposable)provider).Dispose();
        }

        Folder.Dispose();
        Addresses.Dispose();
        if (errors.Count > 0)
        {
            throw new AggregateException("cleaning up the test servers failed", errors);
        }
    }
}
