using System.Diagnostics;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>Examples are copied into tests as git tracks them, in a real git checkout.</summary>
[Trait("kind", "unit")]
public sealed class TrackedFilesTests : IDisposable
{
    private readonly TemporaryDirectory _checkout = new("strata-tracked");
    private readonly TemporaryDirectory _target = new("strata-copy");

    public void Dispose()
    {
        _checkout.Dispose();
        _target.Dispose();
    }

    [Fact]
    public void Copy_ExampleThatWasRunInTheCheckout_LeavesWhatTheRunLeftBehind()
    {
        Git("init", "--quiet");
        _checkout.WriteFile(".gitignore", ".strata/\n");
        _checkout.WriteFile("examples/shop/strata.yaml", "deployment: shop\n");
        var run = _checkout.WriteFile("examples/shop/db/run.sh", "exec sleep 300\n");
        File.SetUnixFileMode(run, File.GetUnixFileMode(run) | UnixFileMode.UserExecute);
        Git("add", ".gitignore", "examples");
        // What `strata up examples/shop` leaves in the checkout: its filesystem backup store, ignored by git.
        _checkout.WriteFile("examples/shop/.strata/backups/config", "{}");
        _checkout.WriteFile("examples/shop/notes.txt", "not added");

        TrackedFiles.Copy(_checkout.Path, Path.Combine("examples", "shop"), _target.Path);

        var copied = Directory.EnumerateFiles(_target.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_target.Path, f)).Order(StringComparer.Ordinal);
        Assert.Equal(["db/run.sh", "strata.yaml"], copied);
        Assert.Equal(File.GetUnixFileMode(run), File.GetUnixFileMode(_target.Combine("db", "run.sh")));
    }

    [Fact]
    public void Below_FolderGitDoesNotTrack_SaysSo()
    {
        Git("init", "--quiet");
        _checkout.WriteFile("examples/shop/strata.yaml", "deployment: shop\n");

        var error = Assert.Throws<InvalidOperationException>(() => TrackedFiles.Below(_checkout.Path, "examples/shop"));

        Assert.Contains("git tracks no file below examples/shop", error.Message);
    }

    [Fact]
    public void Below_ExamplesOfThisCheckout_ListsTheSpecOfEach()
    {
        var root = StrataRunner.RepositoryRoot();

        var files = TrackedFiles.Below(root, "examples");

        Assert.Contains("examples/status-page/strata.yaml", files);
        Assert.Contains("examples/hello/strata.yaml", files);
        Assert.DoesNotContain(files, f => f.Contains("/.strata/", StringComparison.Ordinal));
    }

    private void Git(params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = _checkout.Path, UseShellExecute = false, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var git = Process.Start(start)!;
        var error = git.StandardError.ReadToEndAsync();
        Assert.True(git.WaitForExit(TimeSpan.FromSeconds(30)), $"git {string.Join(' ', arguments)} did not finish");
        Assert.True(git.ExitCode == 0, $"git {string.Join(' ', arguments)}: {error.Result}");
    }
}
