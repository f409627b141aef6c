using System.Diagnostics;
using Strata.ControlPlane.Hosting;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Access;

[Trait("kind", "e2e")]
public sealed class HomeFolderTests
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Theory]
    [InlineData(UnixFileMode.GroupWrite)]
    [InlineData(UnixFileMode.OtherWrite)]
    public void Build_HomeWritableByOthers_RefusedNamingTheFix(UnixFileMode extra)
    {
        using var home = new TemporaryDirectory("strata-home");
        File.SetUnixFileMode(home.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | extra);

        var error = Assert.Throws<UnsafeHomeException>(() => ControlPlaneHost.Build(Options(home.Path)));

        Assert.Contains($"chmod 700 {home.Path}", error.Message);
        Assert.False(File.Exists(Path.Combine(home.Path, "token")), "a token was written into an unsafe home");
    }

    [Fact]
    public void Secure_HomeOfAnotherUser_RefusedNamingTheFix()
    {
        using var home = new TemporaryDirectory("strata-home");
        var other = HomeFolder.GetEffectiveUserId() == 0 ? 65534u : 0u;
        var folder = other == 0 ? "/usr" : home.Path;
        if (other != 0)
        {
            Run("chown", other.ToString(System.Globalization.CultureInfo.InvariantCulture), folder);
        }

        var error = Assert.Throws<UnsafeHomeException>(() => HomeFolder.Secure(folder));

        Assert.Contains($"belongs to uid {other}", error.Message);
        Assert.Contains("STRATA_HOME", error.Message);
    }

    [Fact]
    public async Task Start_ReadableHome_NarrowedAndEverySecretFileOwnerOnly()
    {
        await using var app = await ControlPlaneApp.StartAsync(paths => File.SetUnixFileMode(paths.Root, (UnixFileMode)0b111_101_101));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(app.Paths.Root));
        await Eventually.WaitAsync(() => File.Exists(app.Paths.ServerInfoFile), "server.json written");
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(app.Paths.TokenFile));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(app.Paths.ServerInfoFile));
        using var response = await app.SendAsync(HttpMethod.Get, "/api/v1/tokens", app.CliToken);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(app.Paths.StateDatabase));
    }

    private static ControlPlaneOptions Options(string home) => new() { Listen = LoopbackPorts.Reserve().ToString(), Paths = new StrataPaths(home) };

    private static void Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false })!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}
