using System.Diagnostics;
using Xunit;

namespace Strata.Testing;

/// <summary>A tmpfs of a few MiB mounted over a folder (the tests run as root, as test.sh runs them), unmounted on dispose.</summary>
public sealed class SmallDisk : IDisposable
{
    private readonly string _path;

    private SmallDisk(string path) => _path = path;

    public static SmallDisk Mount(string path, int mebibytes)
    {
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", $"size={mebibytes}m", "tmpfs", path);
        return new SmallDisk(path);
    }

    // Lazily: a server or agent still exiting may hold a file there a moment longer.
    public void Dispose() => Run("umount", "-l", _path);

    private static void Run(string command, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)} failed (this test mounts a small disk and needs root, as test.sh runs it): {error}");
    }
}
