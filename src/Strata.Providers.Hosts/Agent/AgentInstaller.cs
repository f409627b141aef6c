using System.Text;
using Renci.SshNet;
using Strata.Agent;
using Strata.Api.Contracts.Agent;

namespace Strata.Providers.Hosts.Agent;

/// <summary>
/// Copies the agent to a host over SFTP: its assembly and the contracts it speaks, beside a runtime configuration, in
/// <c>AGENT_DIR/bin</c>. Each file is written under a temporary name and renamed into place, so that an agent still
/// running from the folder never reads a half-written assembly.
/// </summary>
internal static class AgentInstaller
{
    /// <summary>The agent's entry assembly, as the control plane runs it on the host.</summary>
    public const string EntryAssembly = "Strata.Agent.dll";

    private static readonly Type[] s_assemblies = [typeof(AgentProgram), typeof(AgentMessage)];

    /// <summary>Installs the agent and returns the absolute folder it lives in on the host.</summary>
    /// <param name="agentDir">Absolute, or relative to the login's home (<c>~/</c> allowed).</param>
    public static async Task<string> InstallAsync(SftpClient sftp, string agentDir, CancellationToken ct)
    {
        var folder = Resolve(agentDir, sftp.WorkingDirectory);
        var bin = folder + "/bin";
        await CreateFoldersAsync(sftp, bin, ct).ConfigureAwait(false);
        foreach (var type in s_assemblies)
        {
            var local = type.Assembly.Location;
            await using var content = File.OpenRead(local);
            await UploadAsync(sftp, content, $"{bin}/{Path.GetFileName(local)}", ct).ConfigureAwait(false);
        }

        await using var config = new MemoryStream(Encoding.UTF8.GetBytes(RuntimeConfig()));
        await UploadAsync(sftp, config, $"{bin}/Strata.Agent.runtimeconfig.json", ct).ConfigureAwait(false);
        return folder;
    }

    /// <summary>The folder on the host: <c>~/x</c> and <c>x</c> are below <paramref name="home"/>.</summary>
    public static string Resolve(string agentDir, string home)
    {
        var path = agentDir.StartsWith("~/", StringComparison.Ordinal) ? agentDir[2..] : agentDir == "~" ? "" : agentDir;
        return (path.StartsWith('/') ? path : $"{home.TrimEnd('/')}/{path}").TrimEnd('/');
    }

    // The runtime the control plane runs on is the one the agent was built for; a host must have its major version.
    private static string RuntimeConfig()
    {
        var major = Environment.Version.Major;
        return "{\"runtimeOptions\":{\"tfm\":\"net" + major + ".0\",\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"" + major + ".0.0\"}}}";
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
        await sftp.UploadFileAsync(content, temporary, true, null, ct).ConfigureAwait(false);
        // The POSIX rename replaces a file already there; SFTP's own refuses to.
        sftp.RenameFile(temporary, path, isPosix: true);
    }
}
