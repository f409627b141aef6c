using System.Text;
using Strata.Common.Files;
using Strata.ControlPlane.Access;
using Strata.Storage;

namespace Strata.ControlPlane.Hosting;

/// <summary>
/// The CLI's own token, kept in a file only the owner can read (mode 0600 from its creation). The control plane registers
/// its hash as the admin token <c>cli</c>; the file is the only place the secret is kept.
/// </summary>
public static class ServerToken
{
    public static string LoadOrCreate(StrataPaths home)
    {
        if (File.Exists(home.TokenFile))
        {
            var existing = File.ReadAllText(home.TokenFile).Trim();
            if (existing.Length > 0)
            {
                // A token file from before its mode was enforced keeps its secret and loses its readers.
                File.SetUnixFileMode(home.TokenFile, OwnerOnlyFiles.FilePermissions);
                return existing;
            }
        }

        home.EnsureExists();
        var token = TokenSecrets.Generate();
        AtomicFile.Write(home.TokenFile, Encoding.UTF8.GetBytes(token), AtomicFileOptions.OwnerOnly);
        return token;
    }

    /// <summary>The token when the file exists, otherwise null (no control plane has run here yet).</summary>
    public static string? TryRead(StrataPaths home) =>
        File.Exists(home.TokenFile) ? File.ReadAllText(home.TokenFile).Trim() : null;
}
