using Strata.ControlPlane.Hosting;

namespace Strata.Cli.Client;

/// <summary>
/// An exclusive lock on <c>$STRATA_HOME/server.lock</c>, held by the control plane while it runs, so that two
/// commands starting one at the same moment never run two reconcilers on one home. The kernel drops the lock when
/// the process dies, however it dies; processes the control plane starts do not inherit it.
/// </summary>
public static class HomeLock
{
    public static string PathOf(StrataPaths paths) => Path.Combine(paths.Root, "server.lock");

    /// <summary>The held lock (dispose to release), or null when another process holds it.</summary>
    public static FileStream? TryTake(StrataPaths paths)
    {
        try
        {
            // FileShare.None takes an exclusive flock on Unix.
            return new FileStream(PathOf(paths), new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException)
        {
            return null;
        }
    }
}
