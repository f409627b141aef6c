using Strata.Testing;

namespace Strata.Providers.Tests.Local;

[Trait("kind", "e2e")]
public sealed class ImageTests : IAsyncLifetime
{
    private readonly LocalProviderHarness _harness = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task RegisterImageAsync_SameContentBakedTwice_SameDeterministicId()
    {
        var first = WriteFolder("one");
        var second = WriteFolder("two");
        File.SetLastWriteTimeUtc(Path.Combine(second, "bin", "start.sh"), new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        var a = await RegisterAsync(first);
        var b = await RegisterAsync(second);

        Assert.Equal(a.Id, b.Id);
        Assert.Matches("^sha256:[0-9a-f]{64}$", a.Id);
    }

    [Fact]
    public async Task RegisterImageAsync_FileContentChanged_DifferentId()
    {
        var folder = WriteFolder("img");
        var before = await RegisterAsync(folder);
        File.AppendAllText(Path.Combine(folder, "index.html"), "!");

        var after = await RegisterAsync(folder);

        Assert.NotEqual(before.Id, after.Id);
    }

    [Fact]
    public async Task RegisterImageAsync_ExecutableBitChanged_DifferentId()
    {
        var folder = WriteFolder("img");
        var before = await RegisterAsync(folder);
        File.SetUnixFileMode(Path.Combine(folder, "index.html"), File.GetUnixFileMode(Path.Combine(folder, "index.html")) | UnixFileMode.UserExecute);

        var after = await RegisterAsync(folder);

        Assert.NotEqual(before.Id, after.Id);
    }

    [Fact]
    public async Task RegisterImageAsync_NewImage_ArchiveStoredUnderDigestKey()
    {
        var image = await RegisterAsync(WriteFolder("img"));

        var stored = await _harness.Store.ExistsAsync($"images/sha256/{image.Digest}.tar", CancellationToken.None).WithTimeout();

        Assert.True(stored);
        Assert.Equal("img", image.Name);
        Assert.True(image.SizeBytes > 0);
    }

    [Fact]
    public async Task RegisterImageAsync_MissingFolder_ThrowsNamingFolder()
    {
        var missing = _harness.Folder.Combine("no-such-image");

        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() =>
            _harness.Provider.RegisterImageAsync(missing, CancellationToken.None).WithTimeout());

        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public async Task LaunchAsync_ImageWithExecutableScript_CloneKeepsModeAndServerMayWriteWithoutChangingCache()
    {
        var image = await RegisterAsync(WriteFolder("img"));

        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(image, "echo changed > index.html; exec ./bin/start.sh"));

        Assert.Equal(ServerInstanceState.Running, server.State);
        Assert.True((File.GetUnixFileMode(Path.Combine(server.RootPath, "bin", "start.sh")) & UnixFileMode.UserExecute) != 0);
        await Eventually.WaitAsync(() => File.ReadAllText(Path.Combine(server.RootPath, "index.html")) == "changed\n", "the server to write its copy");
        var cached = Path.Combine(_harness.Options.RootPath, "images", image.Digest, "index.html");
        Assert.Equal("<h1>hello</h1>", File.ReadAllText(cached));
    }

    private string WriteFolder(string name)
    {
        var root = _harness.Folder.Combine(name);
        _harness.Folder.WriteFile(Path.Combine(name, "index.html"), "<h1>hello</h1>");
        var script = _harness.Folder.WriteFile(Path.Combine(name, "bin", "start.sh"), "#!/bin/sh\nexec sleep 1000\n");
        File.SetUnixFileMode(script, File.GetUnixFileMode(script) | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Path.Combine(root, "empty"));
        return root;
    }

    private Task<MachineImage> RegisterAsync(string folder) =>
        _harness.Provider.RegisterImageAsync(folder, CancellationToken.None).WithTimeout();
}
