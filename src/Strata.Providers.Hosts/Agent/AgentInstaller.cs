using System.Text;
using System.Text.RegularExpressions;
using Renci.SshNet;
using Strata.Agent;
using Strata.Providers.Hosts.Ssh;

namespace Strata.Providers.Hosts.Agent;

/// <summary>What connecting a host did to its agent's files: nothing when they were this control plane's build already.</summary>
/// <param name="Folder">The absolute folder the agent lives in on the host.</param>
/// <param name="Build">The build installed (<see cref="AgentBundle.Build"/>), which the agent's hello should report.</param>
/// <param name="FilesCopied">Files written because the host lacked them or held another build of them.</param>
/// <param name="BytesCopied">Their size.</param>
/// <param name="FilesRemoved">Files of another build the agent no longer has, removed.</param>
public sealed record AgentInstall(string Folder, string Build, int FilesCopied, long BytesCopied, int FilesRemoved);

/// <summary>
/// Installs the agent on a host: its assembly and every assembly it needs that the .NET shared frameworks do not have
/// (Strata's contracts, providers, storage and common, and their packages), beside a runtime configuration, in
/// <c>AGENT_DIR/bin</c>. The host's files are hashed there first (<c>sha256sum</c> over SSH) and only those that differ
/// from this control plane's build are copied, so an agent of this build costs nothing to reconnect and one of another
/// version is upgraded in place. Each file is written under a temporary name and renamed into place, so that an agent
/// still running from the folder never reads a half-written assembly; the servers it ran keep running and the new
/// agent adopts them.
/// </summary>
internal static partial class AgentInstaller
{
    /// <summary>The agent's entry assembly, as the control plane runs it on the host.</summary>
    public const string EntryAssembly = AgentBundle.EntryAssembly;

    private static readonly Lazy<IReadOnlyList<BundleFile>> s_files = new(BundleFiles);

    /// <summary>The build this control plane installs.</summary>
    public static string Build => AgentBundle.Build(s_files.Value.Select(f => KeyValuePair.Create(f.Name, f.Sha256)));

    /// <summary>Installs what the host lacks of the agent and removes what it no longer needs.</summary>
    /// <param name="agentDir">Absolute, or relative to the login's home (<c>~/</c> allowed).</param>
    public static async Task<AgentInstall> InstallAsync(SshClient ssh, SftpClient sftp, string agentDir, CancellationToken ct)
    {
        var folder = Resolve(agentDir, sftp.WorkingDirectory);
        var bin = folder + "/bin";
        await CreateFoldersAsync(sftp, bin, ct).ConfigureAwait(false);
        await DeleteLeftOverUploadsAsync(sftp, folder + "/uploads", ct).ConfigureAwait(false);
        var present = await HashesOnHostAsync(ssh, bin, ct).ConfigureAwait(false);
        var (copied, bytes) = (0, 0L);
        foreach (var file in s_files.Value.Where(f => present.GetValueOrDefault(f.Name) != f.Sha256))
        {
            using var content = new MemoryStream(await file.ReadAsync(ct).ConfigureAwait(false), writable: false);
            await UploadAsync(sftp, content, $"{bin}/{file.Name}", ct).ConfigureAwait(false);
            (copied, bytes) = (copied + 1, bytes + file.Length);
        }

        // An assembly of another version that this build does not ship would otherwise be counted in no build, yet
        // be loaded by nothing: removing it keeps the folder exactly the build.
        var stale = present.Keys.Where(name => s_files.Value.All(f => f.Name != name) && IsAgentFile(name)).ToList();
        foreach (var name in stale)
        {
            await sftp.DeleteFileAsync($"{bin}/{name}", ct).ConfigureAwait(false);
        }

        return new AgentInstall(folder, Build, copied, bytes, stale.Count);
    }

    /// <summary>The bytes of the agent's files, all of which a first install writes.</summary>
    public static long BundleBytes => s_files.Value.Sum(f => f.Length);

    /// <summary>
    /// The bytes free for the login on the disk that holds <paramref name="folder"/> (<c>df -Pk</c> over SSH), or null
    /// when the host does not say. SFTP reports a full disk only as <c>Failure</c>: this tells why.
    /// </summary>
    public static async Task<long?> FreeBytesAsync(SshClient ssh, string folder, CancellationToken ct)
    {
        // The folder may not exist (a full disk can fail its creation): its nearest existing parent is on the same disk.
        using var command = ssh.CreateCommand(
            $"d={AgentChannel.Quote(folder)}; while [ ! -d \"$d\" ]; do d=$(dirname -- \"$d\"); done; df -Pk -- \"$d\" 2>/dev/null | tail -n 1");
        await command.ExecuteAsync(ct).ConfigureAwait(false);
        return command.Result.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, _, _, var available, ..]
            && long.TryParse(available, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var kib)
            ? kib * 1024
            : null;
    }

    /// <summary>
    /// Uploads (images, volume content) cut off with a connection to a former agent would fill the host's disk for nothing (perhaps
    /// leaving no room for this install): the control plane sends an image again to the agent it now speaks to.
    /// </summary>
    private static async Task DeleteLeftOverUploadsAsync(SftpClient sftp, string uploads, CancellationToken ct)
    {
        if (!await sftp.ExistsAsync(uploads, ct).ConfigureAwait(false))
        {
            return;
        }

        await foreach (var file in sftp.ListDirectoryAsync(uploads, ct).ConfigureAwait(false))
        {
            if (file.IsRegularFile)
            {
                try
                {
                    await sftp.DeleteFileAsync(file.FullName, ct).ConfigureAwait(false);
                }
                catch (Renci.SshNet.Common.SftpPathNotFoundException)
                {
                    // An earlier agent kept or dropped it meanwhile.
                }
            }
        }
    }

    /// <summary>The folder on the host: <c>~/x</c> and <c>x</c> are below <paramref name="home"/>.</summary>
    public static string Resolve(string agentDir, string home)
    {
        var path = agentDir.StartsWith("~/", StringComparison.Ordinal) ? agentDir[2..] : agentDir == "~" ? "" : agentDir;
        return (path.StartsWith('/') ? path : $"{home.TrimEnd('/')}/{path}").TrimEnd('/');
    }

    /// <summary>
    /// The SHA-256 of each file in the host's agent folder, by name; empty when there is none or the host has no
    /// <c>sha256sum</c> (then every file is copied, as before hashes were compared).
    /// </summary>
    private static async Task<Dictionary<string, string>> HashesOnHostAsync(SshClient ssh, string bin, CancellationToken ct)
    {
        using var command = ssh.CreateCommand($"cd {AgentChannel.Quote(bin)} && find . -maxdepth 1 -type f -exec sha256sum -- {{}} + 2>/dev/null; true");
        await command.ExecuteAsync(ct).ConfigureAwait(false);
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match line in HashLine().Matches(command.Result))
        {
            hashes[line.Groups["name"].Value] = line.Groups["hash"].Value;
        }

        return hashes;
    }

    private static bool IsAgentFile(string name) =>
        name.EndsWith(".dll", StringComparison.Ordinal) || name.EndsWith(".json", StringComparison.Ordinal) || name.EndsWith(".uploading", StringComparison.Ordinal);

    private static List<BundleFile> BundleFiles()
    {
        var files = AgentBundle.AssemblyFiles().Select(BundleFile.OfFile).ToList();
        files.Add(BundleFile.Of(AgentBundle.RuntimeConfigName, Encoding.UTF8.GetBytes(AgentBundle.RuntimeConfig())));
        return files;
    }

    private static async Task CreateFoldersAsync(SftpClient sftp, string folder, CancellationToken ct)
    {
        var path = "";
        foreach (var part in folder.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path += "/" + part;
            if (!await sftp.ExistsAsync(path, ct).ConfigureAwait(false))
            {
                await sftp.CreateDirectoryAsync(path, ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task UploadAsync(SftpClient sftp, Stream content, string path, CancellationToken ct)
    {
        var temporary = path + ".uploading";
        try
        {
            await sftp.UploadFileAsync(content, temporary, true, null, ct).ConfigureAwait(false);
        }
        catch (Renci.SshNet.Common.SshException)
        {
            // What was written of it (a full disk) would only take room from the next attempt.
            await SftpFiles.DeleteQuietlyAsync(sftp, temporary).ConfigureAwait(false);
            throw;
        }

        // The POSIX rename replaces a file already there; SFTP's own refuses to.
        sftp.RenameFile(temporary, path, isPosix: true);
    }

    // sha256sum prints "HASH  ./NAME" (a name with a backslash or newline is escaped and starts with '\': not ours).
    [GeneratedRegex(@"^(?<hash>[0-9a-f]{64})  \./(?<name>[^/\n]+)$", RegexOptions.Multiline)]
    private static partial Regex HashLine();

    /// <summary>
    /// One file of the agent with its hash. An assembly is read from the control plane's folder when a host needs it,
    /// not held: the bundle is about 10 MB, which a control plane kept in its large-object heap for as long as it ran.
    /// </summary>
    private sealed record BundleFile(string Name, string? Path, byte[]? Generated, long Length, string Sha256)
    {
        public static BundleFile OfFile(string path)
        {
            var content = File.ReadAllBytes(path);
            return new(System.IO.Path.GetFileName(path), path, null, content.Length, AgentBundle.Sha256(content));
        }

        public static BundleFile Of(string name, byte[] content) => new(name, null, content, content.Length, AgentBundle.Sha256(content));

        /// <summary>The file's bytes, as hashed when this control plane started: a host must get the build it is told of.</summary>
        public async Task<byte[]> ReadAsync(CancellationToken ct)
        {
            if (Generated is not null)
            {
                return Generated;
            }

            byte[]? content = null;
            try
            {
                content = await File.ReadAllBytesAsync(Path!, ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // Gone (the control plane's folder upgraded in place): told below, as a changed file is.
            }

            return content is not null && AgentBundle.Sha256(content) == Sha256
                ? content
                : throw new HostConnectException(HostConnectFailure.AgentFailed,
                    $"{Path} changed since this control plane started (upgraded in place?): restart the control plane to install its agent on hosts");
        }
    }
}
