using System.Security.Cryptography;
using System.Text;
using Strata.Common.Files;

namespace Strata.Providers.Hosts.Ssh;

/// <summary>What <see cref="KnownHosts.Check"/> found for a host key.</summary>
public enum HostKeyVerdict
{
    /// <summary>The key is the one recorded for the endpoint.</summary>
    Known,

    /// <summary>No key is recorded for the endpoint.</summary>
    Unknown,

    /// <summary>Another key is recorded for the endpoint: a reinstalled host, or someone in between.</summary>
    Changed,
}

/// <summary>
/// Strata's own <c>known_hosts</c> file, in OpenSSH's format (<c>NAME KEYTYPE BASE64</c> per line, plain names), so
/// that an operator can read it, compare it with <c>ssh-keygen -l</c>, or seed it from their own. It is not the
/// user's <c>~/.ssh/known_hosts</c>: trusting a host for Strata is a decision of its own.
/// </summary>
public sealed class KnownHosts(string path)
{
    private readonly Lock _gate = new();

    public string Path { get; } = path;

    /// <summary>The fingerprint OpenSSH prints for a public key blob: <c>SHA256:</c> and unpadded base64.</summary>
    public static string Fingerprint(byte[] key) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(key)).TrimEnd('=');

    /// <summary>Compares <paramref name="key"/> with what is recorded for <paramref name="name"/> and this key type.</summary>
    /// <param name="recorded">The fingerprint recorded, when the verdict is <see cref="HostKeyVerdict.Changed"/>.</param>
    public HostKeyVerdict Check(string name, string keyType, byte[] key, out string? recorded)
    {
        recorded = null;
        var entries = Read().Where(e => e.Name == name).ToList();
        if (entries.Count == 0)
        {
            return HostKeyVerdict.Unknown;
        }

        if (entries.Any(e => e.KeyType == keyType && e.Key.AsSpan().SequenceEqual(key)))
        {
            return HostKeyVerdict.Known;
        }

        // A host offers the key type the client asks for first; a recorded key of any other type or value for the same
        // endpoint means the host is not the one trusted before.
        recorded = Fingerprint(entries[0].Key);
        return HostKeyVerdict.Changed;
    }

    /// <summary>Records a key for <paramref name="name"/>, appended; the file is created readable by its owner only.</summary>
    public void Add(string name, string keyType, byte[] key)
    {
        lock (_gate)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
            var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
            using var file = new FileStream(Path, options);
            file.Write(Encoding.ASCII.GetBytes($"{name} {keyType} {Convert.ToBase64String(key)}\n"));
            file.Flush(flushToDisk: true);
        }
    }

    /// <summary>Forgets every key recorded for <paramref name="name"/> (a host removed from the fleet).</summary>
    public void Remove(string name)
    {
        lock (_gate)
        {
            if (!File.Exists(Path))
            {
                return;
            }

            var kept = File.ReadAllLines(Path).Where(l => l.Split(' ', 2)[0] != name).Select(l => l + "\n");
            AtomicFile.Write(Path, Encoding.ASCII.GetBytes(string.Concat(kept)), AtomicFileOptions.OwnerOnly);
        }
    }

    private List<Entry> Read()
    {
        lock (_gate)
        {
            if (!File.Exists(Path))
            {
                return [];
            }

            var entries = new List<Entry>();
            foreach (var line in File.ReadAllLines(Path))
            {
                if (line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var name, var type, var base64, ..] && !line.StartsWith('#'))
                {
                    entries.Add(new Entry(name, type, Convert.FromBase64String(base64)));
                }
            }

            return entries;
        }
    }

    private sealed record Entry(string Name, string KeyType, byte[] Key);
}
