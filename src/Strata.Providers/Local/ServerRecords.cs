using System.Collections.Concurrent;
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

    // The records as last read, by server id, with the time and length their file had then.
    private readonly ConcurrentDictionary<string, ReadRecord> _read = new(StringComparer.Ordinal);

    // Bumped by every write and deletion here, so that a read that raced one is not remembered.
    private long _writes;

    public ServerRecords(string rootPath)
    {
        Root = rootPath;
        _folder = LocalServerLayout.ServersFolder(rootPath);
        Directory.CreateDirectory(_folder);
    }

    /// <summary>The provider's root folder, which the servers' folders are below.</summary>
    public string Root { get; }

    public string FolderOf(string serverId) => LocalServerLayout.FolderOf(Root, serverId);

    /// <summary>
    /// The server's record. One read before is given again while the file's time and length are those it had: the
    /// control plane lists every server every few seconds, and parsing hundreds of records each time cost more than
    /// anything else it does while idle. This provider's own writes replace the remembered copy.
    /// </summary>
    public ServerInstance? Read(string serverId)
    {
        var file = new FileInfo(Path.Combine(FolderOf(serverId), RecordFile));
        if (!file.Exists)
        {
            _read.TryRemove(serverId, out _);
            return null;
        }

        if (_read.TryGetValue(serverId, out var known) && known.Written == file.LastWriteTimeUtc && known.Length == file.Length)
        {
            return known.Record;
        }

        try
        {
            var (written, writes) = (file.LastWriteTimeUtc, Volatile.Read(ref _writes));
            var bytes = File.ReadAllBytes(file.FullName);
            var record = JsonSerializer.Deserialize(bytes, LocalJsonContext.Default.ServerInstance);
            file.Refresh();

            // Remembered only when nothing wrote it meanwhile: neither this provider nor, by its time, anyone else.
            if (record is not null && file.Exists && file.LastWriteTimeUtc == written && file.Length == bytes.Length && Volatile.Read(ref _writes) == writes)
            {
                _read[serverId] = new ReadRecord(written, bytes.Length, record);
                if (Volatile.Read(ref _writes) != writes)
                {
                    // A write came between the check and the store: what was stored may be older than it.
                    _read.TryRemove(serverId, out _);
                }
            }

            return record;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            _read.TryRemove(serverId, out _);
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
        Interlocked.Increment(ref _writes);
        _read.TryRemove(record.Id, out _);
        AtomicFile.Write(Path.Combine(folder, RecordFile), JsonSerializer.SerializeToUtf8Bytes(record, LocalJsonContext.Default.ServerInstance), RecordWrites.Readable);

        // Again once it is in place: a read between the first bump and the rename saw the old file.
        Interlocked.Increment(ref _writes);
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

    public void Delete(string serverId)
    {
        Interlocked.Increment(ref _writes);
        _read.TryRemove(serverId, out _);
        AtomicFile.DeleteFolder(FolderOf(serverId));
        Interlocked.Increment(ref _writes);
    }

    private sealed record ReadRecord(DateTime Written, long Length, ServerInstance Record);
}
