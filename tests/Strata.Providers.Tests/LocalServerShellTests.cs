using Strata.Testing;

namespace Strata.Providers.Tests;

/// <summary>Commands run on this machine for its servers (and, by an agent, for a host's): real <c>/bin/sh</c> processes.</summary>
[Trait("kind", "unit")]
public sealed class LocalServerShellTests
{
    private readonly LocalServerShell _shell = new();

    [Fact]
    public async Task RunAsync_ServersVariablesOverTheMachinesBasics_RunsInItsRootWithOutputAndText()
    {
        using var root = new TemporaryDirectory("strata-shell");
        var result = await _shell.RunAsync(Request(root, "pwd; echo \"$GREETING\"; test -n \"$PATH\" && echo path; echo oops >&2; exit 3",
            new Dictionary<string, string> { ["GREETING"] = "hello there" }), CancellationToken.None);

        Assert.Equal((3, false), (result.ExitCode, result.TimedOut));
        Assert.False(result.Succeeded);
        Assert.Equal($"{root.Path}\nhello there\npath\n", result.Output);
        Assert.Contains("oops", result.Text, StringComparison.Ordinal);
        Assert.Contains("hello there", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_LongerThanItsTimeout_StoppedWithWhatItStarted()
    {
        using var root = new TemporaryDirectory("strata-shell");
        var result = await _shell.RunAsync(Request(root, "sleep 30 & echo $! > child; wait") with { Timeout = TimeSpan.FromMilliseconds(300) }, CancellationToken.None);
        var child = int.Parse(File.ReadAllText(root.Combine("child")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal((-1, true), (result.ExitCode, result.TimedOut));
        await Eventually.WaitAsync(() => Task.FromResult(!Directory.Exists($"/proc/{child}")), "the command's child to be stopped");
    }

    [Fact]
    public async Task RunAsync_FilesInAndOut_NamedByTheirVariablesWhereTheyAre()
    {
        using var root = new TemporaryDirectory("strata-shell");
        var input = root.WriteFile("in.txt", "rows");
        var result = await _shell.RunAsync(Request(root, "cat \"$IN\" > \"$OUT\"; echo more >> \"$OUT\"") with
        {
            Input = new ShellFile("IN", input),
            Output = new ShellFile("OUT", root.Combine("out.txt")),
        }, CancellationToken.None);

        Assert.True(result.Succeeded, result.Text);
        Assert.Equal("rowsmore\n", File.ReadAllText(root.Combine("out.txt")));
    }

    [Fact]
    public async Task RunAsync_ServerFolderMissing_RefusedNamingIt()
    {
        var request = new ShellRequest { ServerId = "web-1", WorkingDirectory = "/nonexistent/strata/web-1", Command = "true", Timeout = TimeSpan.FromSeconds(5) };

        var refused = await Assert.ThrowsAsync<ProviderException>(() => _shell.RunAsync(request, CancellationToken.None));

        Assert.Equal("server web-1 has no folder /nonexistent/strata/web-1 on this machine", refused.Message);
    }

    private static ShellRequest Request(TemporaryDirectory root, string command, Dictionary<string, string>? environment = null) => new()
    {
        ServerId = "web-1", WorkingDirectory = root.Path, Command = command, Environment = environment ?? [], Timeout = TimeSpan.FromSeconds(10),
    };
}
