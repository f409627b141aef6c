using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Strata.Agent;

/// <summary>
/// The files that make up the agent on a host, and their build: the SHA-256 of every file by name. The control plane
/// computes the build of the agent it would install, the agent the build of the files it runs from, by the same rule;
/// a host whose files differ (another version, or a damaged file) gets them replaced, and one whose files match gets
/// nothing copied.
/// </summary>
public static class AgentBundle
{
    /// <summary>The agent's entry assembly, as the control plane runs it on the host.</summary>
    public const string EntryAssembly = "Strata.Agent.dll";

    /// <summary>The runtime configuration beside it, which names the shared frameworks the agent runs on.</summary>
    public const string RuntimeConfigName = "Strata.Agent.runtimeconfig.json";

    /// <summary>The files of the agent's assembly and of those it references, directly or not, outside the shared frameworks.</summary>
    public static IReadOnlyList<string> AssemblyFiles()
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

    /// <summary>
    /// The runtime configuration the control plane writes beside the agent: the runtime it runs on is the one the
    /// agent was built for, and a host must have its major version of ASP.NET Core's shared framework, which holds the
    /// logging and options libraries the engine uses. It is written rather than copied from the build, so that what a
    /// host runs does not depend on how the control plane was built, and it carries the settings of the agent's project
    /// (each method compiled once, without tiering; an idle thread-pool worker spins briefly: Strata.Agent.csproj).
    /// </summary>
    public static string RuntimeConfig()
    {
        var major = Environment.Version.Major;
        return "{\"runtimeOptions\":{\"tfm\":\"net" + major + ".0\",\"frameworks\":["
            + "{\"name\":\"Microsoft.NETCore.App\",\"version\":\"" + major + ".0.0\"},"
            + "{\"name\":\"Microsoft.AspNetCore.App\",\"version\":\"" + major + ".0.0\"}],"
            + "\"configProperties\":{\"System.Runtime.Serialization.EnableUnsafeBinaryFormatterSerialization\":false,"
            + "\"System.Runtime.TieredCompilation\":false,\"System.Threading.ThreadPool.UnfairSemaphoreSpinLimit\":10}}}";
    }

    /// <summary>Lowercase hexadecimal SHA-256 of the content, as <c>sha256sum</c> prints it.</summary>
    public static string Sha256(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>The build of a set of files: <c>sha256:</c> and the SHA-256 of their names and hashes, sorted by name.</summary>
    public static string Build(IEnumerable<KeyValuePair<string, string>> hashesByName)
    {
        var lines = string.Concat(hashesByName.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Value}  {f.Key}\n"));
        return "sha256:" + Sha256(Encoding.UTF8.GetBytes(lines));
    }

    /// <summary>The build of the agent running now: its assemblies and the runtime configuration beside its entry assembly.</summary>
    public static string RunningBuild()
    {
        var files = AssemblyFiles().ToDictionary(path => Path.GetFileName(path), path => Sha256(File.ReadAllBytes(path)), StringComparer.Ordinal);
        var config = Path.Combine(Path.GetDirectoryName(typeof(AgentProgram).Assembly.Location)!, RuntimeConfigName);
        if (File.Exists(config))
        {
            files[RuntimeConfigName] = Sha256(File.ReadAllBytes(config));
        }

        return Build(files);
    }
}
