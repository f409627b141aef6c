using Strata.Common.Files;

namespace Strata.Providers.Local;

/// <summary>
/// How the local provider writes its records and server configs: through <see cref="AtomicFile"/>, so readers see the
/// old content or the new, never a mix, even if the writer dies. Not flushed to disk: the records guard against a
/// killed control plane (the page cache survives it), and launches stay cheap.
/// </summary>
internal static class RecordWrites
{
    /// <summary>Mode 0644: records anyone on the machine may read.</summary>
    public static AtomicFileOptions Readable { get; } = new()
    {
        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        Durable = false,
    };

    /// <summary>Mode 0600 from creation: files that hold secrets.</summary>
    public static AtomicFileOptions OwnerOnly { get; } = AtomicFileOptions.OwnerOnly with { Durable = false };
}
