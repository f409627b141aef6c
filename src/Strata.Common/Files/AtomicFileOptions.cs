namespace Strata.Common.Files;

/// <summary>How <see cref="AtomicFile"/> creates and commits a file.</summary>
public sealed record AtomicFileOptions
{
    /// <summary>Mode 0600, from the file's creation: for tokens, keys, certificates and anything holding secrets.</summary>
    public static AtomicFileOptions OwnerOnly { get; } = new() { Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite };

    /// <summary>The file's permissions from the moment it exists (the umask still applies), or null for the process default.</summary>
    /// <value>The default is null: 0666 less the umask, as <see cref="File.Create(string)"/> gives.</value>
    public UnixFileMode? Mode { get; init; }

    /// <summary>
    /// Whether the content and the rename are flushed to disk before the write returns, so that they survive a
    /// power loss; without it they survive a killed process (the page cache outlives it) but not the machine.
    /// </summary>
    /// <value>The default is true.</value>
    public bool Durable { get; init; } = true;

    /// <summary>
    /// For a write that is not <see cref="Durable"/>: whether the kernel is asked to start writing the content to
    /// disk as soon as it is written, without waiting for it, so that one later flush of many such files (a syncfs)
    /// finds little left to write.
    /// </summary>
    /// <value>The default is false.</value>
    public bool StartWriteback { get; init; }
}
