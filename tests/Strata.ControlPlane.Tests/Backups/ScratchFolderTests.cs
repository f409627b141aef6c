using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Hosting;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

[Trait("kind", "unit")]
public sealed class ScratchFolderTests : IDisposable
{
    private readonly TemporaryDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Dispose_OfACopyWithReadOnlyFolders_DeletesAll()
    {
        var scratch = new ScratchFolder(_home.Path);
        var locked = Path.Combine(scratch.Path, "volume", "locked");
        Directory.CreateDirectory(locked);
        File.WriteAllText(Path.Combine(locked, "data"), "x");
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        scratch.Dispose();

        Assert.False(Directory.Exists(scratch.Path));
    }

    [Fact]
    public async Task Sweep_AtStart_DeletesTheScratchFoldersOfAnEarlierRun_AndNothingElse()
    {
        var leftover = new ScratchFolder(_home.Path).Path; // never disposed, as by a control plane killed mid-copy
        var locked = Path.Combine(leftover, "volume", "locked");
        Directory.CreateDirectory(locked);
        File.WriteAllText(Path.Combine(locked, "data"), "x");
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var image = _home.WriteFile(Path.Combine("tmp", "bake-1.tar"), "image in the making");
        var other = Path.Combine(_home.Path, "tmp", "restore-1");
        Directory.CreateDirectory(other);

        var options = Options.Create(new ControlPlaneOptions { Paths = new StrataPaths(_home.Path) });
        await new ScratchFolderSweep(options, NullLogger<ScratchFolderSweep>.Instance).StartAsync(CancellationToken.None);

        Assert.False(Directory.Exists(leftover));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_home.Path, "tmp"), "backup-*"));
        Assert.True(File.Exists(image));
        Assert.True(Directory.Exists(other));
    }

    [Fact]
    public void DeleteLeftovers_OnAHomeWithoutScratchFolders_DeletesNothing()
    {
        Assert.Empty(ScratchFolder.DeleteLeftovers(_home.Path));
    }
}
