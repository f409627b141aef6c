namespace Strata.Cli;

/// <summary>The exit codes of every <c>strata</c> command (documented in the README).</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The spec is invalid (validation errors were printed), or a plan could not be made from it.</summary>
    public const int InvalidSpec = 1;

    /// <summary>The command line is wrong: unknown option, missing argument, bad <c>--param</c>.</summary>
    public const int Usage = 2;

    /// <summary>The control plane could not be reached or started.</summary>
    public const int ControlPlaneUnavailable = 3;

    /// <summary>The deployment did not converge: a tier failed or the wait timed out.</summary>
    public const int NotConverged = 4;

    /// <summary>The deployment, tier or server named does not exist.</summary>
    public const int NotFound = 5;

    /// <summary>The request conflicts with the deployment's state, e.g. a saved plan is out of date.</summary>
    public const int Conflict = 6;

    /// <summary>A backup, restore or restore drill failed (the message names the cause, e.g. a corrupt chunk).</summary>
    public const int BackupFailed = 7;

    /// <summary>The control plane refused the token (unknown, revoked or expired) or its role does not allow the command.</summary>
    public const int AccessDenied = 8;

    /// <summary>Interrupted with Ctrl+C.</summary>
    public const int Interrupted = 130;
}
