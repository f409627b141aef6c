using Strata.Providers;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>
/// The control plane's real services with an image folder for real server processes of the local provider; every
/// server still running is terminated on dispose, before the services and the folder go.
/// </summary>
internal sealed class LocalServers(string prefix, TimeProvider? time = null) : IAsyncDisposable
{
    private readonly TemporaryDirectory _image = new(prefix);

    public ControlPlaneServices Services { get; } = new(time);

    public ICloudProvider Provider => Services.Get<ICloudProvider>();

    /// <summary>The image folder, for files a test's servers look for while they run.</summary>
    public string ImageFolder => _image.Path;

    /// <summary>Writes <paramref name="files"/> (name, text) into the image folder and registers it with the provider.</summary>
    public async Task<MachineImage> RegisterImageAsync(params (string Name, string Text)[] files)
    {
        foreach (var (name, text) in files)
        {
            await File.WriteAllTextAsync(Path.Combine(_image.Path, name), text);
        }

        return await Provider.RegisterImageAsync(_image.Path, CancellationToken.None).WithTimeout();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in await Provider.ListServersAsync(null, CancellationToken.None).WithTimeout())
        {
            await Provider.TerminateAsync(server.Id, TimeSpan.Zero, CancellationToken.None).WithTimeout();
        }

        await Services.DisposeAsync();
        _image.Dispose();
    }
}
