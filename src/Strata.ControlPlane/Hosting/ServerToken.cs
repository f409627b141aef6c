using System.Security.Cryptography;

namespace Strata.ControlPlane.Hosting;

/// <summary>The shared secret between the CLI and the control plane, kept in a file only the owner can read.</summary>
public static class ServerToken
{
    public static string LoadOrCreate(StrataPaths home)
    {
        if (File.Exists(home.TokenFile))
        {
            var existing = File.ReadAllText(home.TokenFile).Trim();
            if (existing.Length > 0)
            {
                return existing;
            }
        }

        home.EnsureExists();
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var temporary = home.TokenFile + ".tmp";
        File.WriteAllText(temporary, token);
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, home.TokenFile, overwrite: true);
        return token;
    }

    /// <summary>The token when the file exists, otherwise null (no control plane has run here yet).</summary>
    public static string? TryRead(StrataPaths home) =>
        File.Exists(home.TokenFile) ? File.ReadAllText(home.TokenFile).Trim() : null;
}
