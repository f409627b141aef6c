namespace Strata.Backups.Chunking;

/// <summary>
/// How an encrypted store names its chunks: a keyed hash of the content under a key derived from the store's secret,
/// so that names reveal nothing of the content. A store keeps the algorithm it was created with (its
/// <c>config.json</c>), and each manifest records the one its chunks were named with, so that a restore checks every
/// chunk against its name wherever the snapshot was copied. Unencrypted stores name chunks by SHA-256.
/// </summary>
internal static class ChunkIdAlgorithm
{
    /// <summary>HMAC-SHA256: stores created before keyed BLAKE3, whose config and manifests name no algorithm.</summary>
    public const string HmacSha256 = "hmac-sha256";

    /// <summary>Keyed BLAKE3, three times as fast as HMAC-SHA256 here (a chunk is named before it is known to be new): new stores.</summary>
    public const string Blake3 = "blake3";

    /// <summary>The algorithm a config or manifest names, HMAC-SHA256 when it names none.</summary>
    /// <exception cref="BackupFailedException">It names one this version does not know.</exception>
    public static string Of(string? recorded) => recorded switch
    {
        null or HmacSha256 => HmacSha256,
        Blake3 => Blake3,
        _ => throw new BackupFailedException($"chunks are named with '{recorded}', which this version of Strata does not know; upgrade Strata to read this store"),
    };
}
