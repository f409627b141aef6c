using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Strata.Common.Files;
using Strata.Common.Processes;

namespace Strata.LoadBalancing.Proxy;

/// <summary>The files of one proxy, all in the folder of its config.</summary>
internal sealed record ProxyFiles(string Config)
{
    /// <summary>The environment variable that marks a process as the proxy of one load balancer (its id).</summary>
    public const string MarkerVariable = "STRATA_LB_ID";

    private const int LogTailBytes = 4096;

    public string Folder => Path.GetDirectoryName(Path.GetFullPath(Config))!;

    public string State => Path.Combine(Folder, "proxy.state.json");

    public string Members => Path.Combine(Folder, "members.json");

    public string Log => Path.Combine(Folder, "proxy.log");

    public static ProxyFiles InFolder(string folder) => new(Path.Combine(folder, "proxy.json"));

    /// <summary>The identity of the proxy (built-in or haproxy) of load balancer <paramref name="id"/> at that pid and start time.</summary>
    public static ProcessIdentity IdentityOf(int processId, long startTime, string id) => new(processId, startTime, MarkerVariable, id);

    /// <summary>The last non-empty line of a proxy's log, where it explains why it exited or did not start.</summary>
    public static string? LastLogLine(string log)
    {
        try
        {
            using var stream = File.OpenRead(log);
            stream.Seek(Math.Max(0, stream.Length - LogTailBytes), SeekOrigin.Begin);
            using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
            return reader.ReadToEnd().Split('\n').LastOrDefault(line => !string.IsNullOrWhiteSpace(line))?.Trim();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Writes a document through <see cref="AtomicFile"/>, so a reader never sees half a file; with <paramref name="ownerOnly"/>, mode 0600 from its creation.</summary>
    public static void WriteAtomically<T>(string path, T value, JsonTypeInfo<T> typeInfo, bool ownerOnly = false) =>
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, value, typeInfo), ownerOnly ? AtomicFileOptions.OwnerOnly : null);

    /// <summary>The document, or null when the file does not exist or is not valid JSON of that shape.</summary>
    public static T? TryRead<T>(string path, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, typeInfo);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return null;
        }
    }
}
