using System.Runtime.InteropServices;
using Strata.Common.Files;

namespace Strata.ControlPlane.Hosting;

/// <summary>Raised when the home folder is not safe to keep secrets in; the message names the fix.</summary>
public sealed class UnsafeHomeException(string message) : IOException(message);

/// <summary>
/// Keeps the home folder private: it holds the state (secret parameters), the CLI's token and the servers' files.
/// A folder someone else owns, or that others may write to, is refused (another user could replace the token or the
/// state); one others may only read or enter is narrowed to 0700.
/// </summary>
public static partial class HomeFolder
{
    private const UnixFileMode WritableByOthers = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
    private const UnixFileMode OpenToOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates the folder with mode 0700, or checks an existing one; throws <see cref="UnsafeHomeException"/>.</summary>
    public static void Secure(string root)
    {
        if (!Directory.Exists(root))
        {
            Strata.Storage.OwnerOnlyFiles.CreateFolder(root);
            return;
        }

        var (owner, mode) = OwnerAndMode(root);
        var self = GetEffectiveUserId();
        if (owner != self)
        {
            throw new UnsafeHomeException(
                $"the Strata home {root} belongs to uid {owner}, not to you (uid {self}); set STRATA_HOME to a folder of your own, or take it over with `sudo chown -R {self} {root}`");
        }

        if ((mode & WritableByOthers) != 0)
        {
            throw new UnsafeHomeException(
                $"the Strata home {root} can be written by other users (mode {Octal(mode)}); make it yours alone with `chmod 700 {root}`");
        }

        if ((mode & OpenToOthers) != 0)
        {
            File.SetUnixFileMode(root, mode & ~OpenToOthers);
        }
    }

    /// <summary>The owner's uid and the permission bits of a path (following a symbolic link).</summary>
    public static (uint Owner, UnixFileMode Mode) OwnerAndMode(string path)
    {
        var facts = FileFacts.Of(path, followLinks: true);
        return (facts.Owner, facts.Mode);
    }

    public static uint GetEffectiveUserId() => GetEuid();

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}
