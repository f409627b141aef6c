using System.Reflection;
using System.Text;
using Renci.SshNet;
using Strata.Agent;

namespace Strata.Providers.Hosts.Agent;

/// <summary>
/// Copies the agent to a host over SFTP: its assembly and every assembly it needs that the .NET shared frameworks do
/// not have (Strata's contracts, providers, storage and common, and their packages), beside a runtime configuration,
/// in <c>AGENT_DIR/bin</c>. Each file is written under a temporary name and renamed into place, so that an agent still
/// running from the folder never reads a half-written assembly.
/// </summary>
internal static class AgentInstaller
{
    /// <summary>The agent's entry assembly, as the control plane runs it on the host.</summary>
    public const string EntryAssembly = "Strata.Agent.dll";

    private static readonly Lazy<IReadOnlyList<string>> s_files = new(AssemblyFiles);

    /// <summary>Installs the agent and returns the absolute folder it lives in on the host.</summary>
    /// <param name="agentDir">Absolute, or relative to the login's home (<c>~/</c> allowed).</param>
    public static async Task<string> InstallAsync(SftpClient sftp, string agentDir, CancellationToken ct)
    {
        var folder = Resolve(agentDir, sftp.WorkingDirectory);
        var bin = folder + "/bin";
        await CreateFoldersAsync(sftp, bin, ct).ConfigureAwait(false);
        foreach (var local in s_files.Value)
        {
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

    /// <summary>The files of the agent's assembly and of those it references, directly or not, outside the shared frameworks.</summary>
    internal static IReadOnlyList<string> AssemblyFiles()
    {
        // The runtime's folder is shared/Microsoft.NETCore.App/VERSION; every shared framework is below shared/.
        var shared = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", ".."));
        var files = new SortedSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<Assembly>([typeof(AgentProgram).Assembly]);
        while (queue.TryDequeue(out var assembly))
        {
            if (assembly.Location.Length == 0 || assembly.Location.StartsWith(shared, StringComparison.Ordinal))
            {
                continue;
            }

            files.Add(assembly.Location);
            foreach (var reference in assembly.GetReferencedAssemblies().Where(r => seen.Add(r.FullName)))
            {
                queue.Enqueue(Assembly.Load(reference));
            }
        }

        return [.. files];
    }

    // The runtime the control plane runs on is the one the agent was built for; a host must have its major version of
    // ASP.NET Core's shared framework, which holds the logging and options libraries the engine uses.
    private static string RuntimeConfig()
    {
        var major = Environment.Version.Major;
        return "{\"runtimeOptions\":{\"tfm\":\"net" + major + ".0\",\"frameworks\":["
            + "{\"name\":\"Microsoft.NETCore.App\",\"version\":\"" + major + ".0.0\"},"
            + "{\"name\":\"Microsoft.AspNetCore.App\",\"version\":\"" + major + ".0.0\"}]}}";
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
