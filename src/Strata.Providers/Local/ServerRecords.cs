using System.Text.Json;
using Strata.Common.Files;

namespace Strata.Providers.Local;

/// <summary>
/// The persisted record of each server, <c>servers/&lt;id&gt;/server.json</c>. It is written before any action is
/// taken on the server, so that a control plane restarted at any moment finds what it meant to do.
/// </summary>
internal sealed class ServerRecords
{
    private const string RecordFile = "server.json";

    private readonly string _folder;

    public ServerRecords(string rootPath)
    {
        Root = rootPath;
        _folder = LocalServerLayout.ServersFolder(rootPath);
        Directory.CreateDirectory(_folder);
    }

    /// <summary>The provider's root folder, which the servers' folders are below.</summary>
    public string Root { get; }

    public string FolderOf(string serverId) => LocalServerLayout.FolderOf(Root, serverId);

    public ServerInstance? Read(string serverId)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(FolderOf(serverId), RecordFile)), LocalJsonContext.Default.ServerInstance);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public IReadOnlyList<ServerInstance> ReadAll()
    {
        var records = new List<ServerInstance>();
        foreach (var folder in Directory.EnumerateDirectories(_folder))
        {
            var name = Path.GetFileName(folder);
            if (!name.StartsWith('.') && Read(name) is { } record)
            {
                records.Add(record);
            }
        }

        records.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return records;
    }

    public void Write(ServerInstance record)
    {
        var folder = FolderOf(record.Id);
        Directory.CreateDirectory(folder);
        AtomicFile.Write(Path.Combine(folder, RecordFile), JsonSerializer.SerializeToUtf8Bytes(record, LocalJsonContext.Default.ServerInstance), RecordWrites.Readable);
    }

    /// <summary>Removes everything but the record itself, for a launch that starts over.</summary>
    public void ClearAllButRecord(string serverId)
    {
        foreach (var entry in new DirectoryInfo(FolderOf(serverId)).EnumerateFileSystemInfos())
        {
            if (entry.Name == RecordFile)
            {
                continue;
            }

            if (entry is DirectoryInfo { LinkTarget: null } directory)
            {
                AtomicFile.DeleteFolder(directory.FullName);
            }
            else
            {
                entry.Delete();
            }
        }
    }

    public void Delete(string serverId) => AtomicFile.DeleteFolder(FolderOf(serverId));
}
