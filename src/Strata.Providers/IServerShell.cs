namespace Strata.Providers;

/// <summary>
/// Runs a command on the machine a server runs on, in its root folder: the image's hooks, health <c>command</c> checks
/// and <c>scaleCheck</c>. A server on a host gets it there, from the host's agent; one on the control plane's machine
/// gets it here. Either way it is <c>/bin/sh -c</c> with that machine's basic variables (<c>PATH</c>, <c>HOME</c>,
/// see <see cref="ChildEnvironment.DefaultInherited"/>) and the server's own.
/// </summary>
public interface IServerShell
{
    /// <summary>Runs the command to its end, or stops it at its timeout.</summary>
    /// <exception cref="ProviderException">The server's machine cannot be reached, or does not know the server.</exception>
    Task<ShellResult> RunAsync(ShellRequest request, CancellationToken ct);
}

/// <summary>A command to run on a server's machine.</summary>
public sealed record ShellRequest
{
    public required string ServerId { get; init; }

    /// <summary>The server's root folder as its provider reported it (a path on its machine).</summary>
    public required string WorkingDirectory { get; init; }

    /// <summary>The text given to <c>/bin/sh -c</c>.</summary>
    public required string Command { get; init; }

    /// <summary>The server's own variables, over the machine's basic ones.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long the command may run before it is stopped, with everything it started.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>A file of this machine the command reads: copied to the server's machine first, its path there given in the file's variable.</summary>
    public ShellFile? Input { get; init; }

    /// <summary>A file the command writes at the path given in the file's variable: copied here to its local path when the command succeeds.</summary>
    public ShellFile? Output { get; init; }
}

/// <summary>A file handed to or taken from a command: the variable that names its path, and where it is on this machine.</summary>
public sealed record ShellFile(string Variable, string LocalPath);

/// <summary>How a command ended.</summary>
/// <param name="ExitCode">Its exit code; -1 when it was stopped at its timeout.</param>
/// <param name="TimedOut">It ran longer than its timeout and was stopped.</param>
/// <param name="Output">Its standard output (the last <see cref="LocalServerShell.OutputLimit"/> characters).</param>
/// <param name="Text">Its standard output and error as they came, the last <see cref="LocalServerShell.TextLimit"/> characters: what a message quotes.</param>
public sealed record ShellResult(int ExitCode, bool TimedOut, string Output, string Text)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;
}
