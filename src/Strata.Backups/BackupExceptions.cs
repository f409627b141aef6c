namespace Strata.Backups;

/// <summary>
/// Thrown when stored backup data is missing or does not match its checksum. Nothing is restored from it: the
/// message names the object and, where known, the file that needed it.
/// </summary>
public sealed class BackupCorruptException : Exception
{
    public BackupCorruptException(string objectKey, string? file, string problem, Exception? inner = null)
        : base($"backup object '{objectKey}'{(file is null ? "" : $" (needed by '{file}')")} {problem}", inner)
    {
        ObjectKey = objectKey;
        File = file;
    }

    /// <summary>The key of the missing or damaged object in the store.</summary>
    public string ObjectKey { get; }

    /// <summary>The file inside the snapshot that needed the object, if any.</summary>
    public string? File { get; }
}

/// <summary>Thrown when a backup or restore cannot start or finish because of its input (a missing file, a wrong key, …).</summary>
public sealed class BackupFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Thrown when a snapshot or service backup with a given id is not in the store.</summary>
public sealed class BackupNotFoundException(string id, string storeName)
    : Exception($"backup '{id}' was not found in the {storeName} store")
{
    public string Id { get; } = id;
}
