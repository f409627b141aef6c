using Strata.Common.Files;
using Strata.ControlPlane.Hosting;

namespace Strata.Cli.Client;

/// <summary>
/// The address the home's control plane was last started on (<c>$STRATA_HOME/listen</c>). <c>server.json</c> goes
/// away with the server; this stays, so that a control plane started again after a crash, a reboot or a
/// <c>strata server stop</c> listens where the user first put it.
/// </summary>
public static class ListenRecord
{
    public static string PathOf(StrataPaths paths) => Path.Combine(paths.Root, "listen");

    public static string? TryRead(StrataPaths paths)
    {
        try
        {
            var text = File.ReadAllText(PathOf(paths)).Trim();
            return text.Length > 0 ? text : null;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public static void Write(StrataPaths paths, string listen)
    {
        AtomicFile.Write(PathOf(paths), System.Text.Encoding.UTF8.GetBytes(listen + "\n"), AtomicFileOptions.OwnerOnly);
    }
}
