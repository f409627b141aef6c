using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Strata.LoadBalancing.Proxy;

/// <summary>The files of one proxy, all in the folder of its config.</summary>
internal sealed record ProxyFiles(string Config)
{
    /// <summary>The environment variable that marks a process as the proxy of one load balancer (its id).</summary>
    public const string MarkerVariable = "STRATA_LB_ID";

    public string Folder => Path.GetDirectoryName(Path.GetFullPath(Config))!;

    public string State => Path.Combine(Folder, "proxy.state.json");

    public string Members => Path.Combine(Folder, "members.json");

    public string Log => Path.Combine(Folder, "proxy.log");

    public static ProxyFiles InFolder(string folder) => new(Path.Combine(folder, "proxy.json"));

    /// <summary>Writes through a temporary file and a rename, so a reader never sees half a file.</summary>
    public static void WriteAtomically<T>(string path, T value, JsonTypeInfo<T> typeInfo, bool ownerOnly = false) =>
        WriteAtomically(path, stream => JsonSerializer.Serialize(stream, value, typeInfo), ownerOnly);

    /// <summary>Writes text through a temporary file and a rename; with <paramref name="ownerOnly"/>, mode 0600 from its creation.</summary>
    public static void WriteTextAtomically(string path, string text, bool ownerOnly) =>
        WriteAtomically(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)), ownerOnly);

    private static void WriteAtomically(string path, Action<Stream> write, bool ownerOnly)
    {
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

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
