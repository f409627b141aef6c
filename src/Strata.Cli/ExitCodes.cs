namespace Strata.Cli;

/// <summary>
/// The exit codes of every <c>strata</c> command. The README's table lists each by name and number;
/// <c>ExitCodeEndToEndTests</c> checks the table against these constants and runs the CLI once for each.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The spec is invalid (validation errors were printed), or a plan could not be made from it.</summary>
    public const int InvalidSpec = 1;

    /// <summary>The command line is wrong (unknown option, missing argument, bad <c>--param</c>), or a confirmation was refused.</summary>
    public const int Usage = 2;

    /// <summary>The control plane could not be reached or started (a home where none has run yet starts one only for <c>up</c> and <c>server start</c>).</summary>
    public const int ControlPlaneUnavailable = 3;

    /// <summary>The deployment did not converge: a tier keeps failing, the wait timed out, or it was rolled back; or a host drain could not move every server.</summary>
    public const int NotConverged = 4;

    /// <summary>The deployment, tier or server named does not exist.</summary>
    public const int NotFound = 5;

    /// <summary>The request conflicts with the state: a saved plan is out of date, <c>strata server</c> while a control plane runs for the home, the control plane still runs after <c>strata server stop</c> waited for it, or <c>host remove</c> while servers run on the host.</summary>
    public const int Conflict = 6;

    /// <summary>A backup, restore or restore drill failed (the message names the cause, e.g. a corrupt chunk).</summary>
    public const int BackupFailed = 7;

    /// <summary>The control plane refused the token (unknown, revoked or expired) or its role does not allow the command.</summary>
    public const int AccessDenied = 8;

    /// <summary>A host could not be used: unreachable, its host key unknown or changed, the identity refused, or its agent did not start.</summary>
    public const int HostUnusable = 9;

    /// <summary>Interrupted with Ctrl+C.</summary>
    public const int Interrupted = 130;
}
