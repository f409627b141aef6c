using System.Diagnostics;

namespace Strata.Cli.Tests;

/// <summary>
/// The files git tracks below a folder of a checkout. A test copies an example with these only, so that what a run
/// of the example in the checkout left there (<c>strata up examples/status-page</c> keeps its local backup stores in
/// the ignored <c>.strata/</c> below it) never travels with the copy.
/// </summary>
internal static class TrackedFiles
{
    private static readonly TimeSpan s_gitTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Copies the tracked files below <paramref name="folder"/> (relative to the checkout) into <paramref name="target"/>.</summary>
    public static void Copy(string repositoryRoot, string folder, string target)
    {
        var source = Path.Combine(repositoryRoot, folder);
        foreach (var file in Below(repositoryRoot, folder))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, Path.Combine(repositoryRoot, file)));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(Path.Combine(repositoryRoot, file), destination);
        }
    }

    /// <summary>The checkout-relative paths git tracks below <paramref name="folder"/>, as they are in the working tree.</summary>
    public static IReadOnlyList<string> Below(string repositoryRoot, string folder)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = repositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "ls-files", "-z", "--", folder })
        {
            start.ArgumentList.Add(argument);
        }

        using var git = Process.Start(start) ?? throw new InvalidOperationException("git could not be started");
        var output = git.StandardOutput.ReadToEndAsync();
        var error = git.StandardError.ReadToEndAsync();
        if (!git.WaitForExit(s_gitTimeout))
        {
            git.Kill();
            throw new TimeoutException($"git ls-files {folder} in {repositoryRoot} took longer than {s_gitTimeout.TotalSeconds:0}s");
        }

        if (git.ExitCode != 0)
        {
            throw new InvalidOperationException($"git ls-files {folder} in {repositoryRoot} exited with code {git.ExitCode}: {error.Result.Trim()}");
        }

        // A tracked file deleted in the working tree is not there to copy; one changed there is copied as it is.
        var files = output.Result.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(f => File.Exists(Path.Combine(repositoryRoot, f))).ToList();
        return files.Count > 0 ? files : throw new InvalidOperationException($"git tracks no file below {folder} in {repositoryRoot}");
    }
}
