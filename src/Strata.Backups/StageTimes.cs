using System.Diagnostics;
using System.Text;

namespace Strata.Backups;

/// <summary>The parts of a snapshot or restore whose time <see cref="StageTimes"/> adds up.</summary>
public enum BackupStage
{
    Read,
    Chunk,
    Hash,
    Digest,
    Compress,
    Decompress,
    Encrypt,
    Decrypt,
    StoreWrite,
    StoreRead,
    Manifest,
    FileWrite,
}

/// <summary>
/// Time spent in each <see cref="BackupStage"/>, summed over every thread (so the total can exceed the wall-clock
/// time when stages run in parallel). Off unless STRATA_BACKUP_PROFILE=1 is set when the process starts: then
/// each measured step costs two timestamp reads, otherwise one branch.
/// </summary>
public static class StageTimes
{
    private static readonly long[] s_ticks = new long[Enum.GetValues<BackupStage>().Length];

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("STRATA_BACKUP_PROFILE") == "1";

    internal static long Start() => Enabled ? Stopwatch.GetTimestamp() : 0;

    internal static void Stop(BackupStage stage, long started)
    {
        if (Enabled)
        {
            Interlocked.Add(ref s_ticks[(int)stage], Stopwatch.GetTimestamp() - started);
        }
    }

    public static void Reset() => Array.Clear(s_ticks);

    /// <summary>One "stage=seconds" pair per stage that took any time, e.g. "Hash=0.512 Compress=1.204".</summary>
    public static string Describe()
    {
        var text = new StringBuilder();
        foreach (var stage in Enum.GetValues<BackupStage>())
        {
            var ticks = Interlocked.Read(ref s_ticks[(int)stage]);
            if (ticks > 0)
            {
                text.Append(text.Length == 0 ? "" : " ").Append(stage).Append('=').Append((ticks / (double)Stopwatch.Frequency).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
