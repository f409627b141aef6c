using Strata.Backups.Snapshots;

namespace Strata.ControlPlane.Api.V1;

/// <summary>
/// Passes at most one progress report per <see cref="Interval"/> on, so a large volume does not flood the stream, in
/// the order they came; <see cref="FlushAsync"/> passes on the last report if it was held back, so the counts shown
/// last are the final ones and not those of the first file.
/// </summary>
internal sealed class ThrottledProgress(Func<BackupProgress, Task> report, TimeProvider time) : IProgress<BackupProgress>
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly Lock _gate = new();
    private BackupProgress? _latest;
    private BackupProgress? _passed;
    private long _passedAt;
    private Task _writing = Task.CompletedTask;

    public void Report(BackupProgress value)
    {
        lock (_gate)
        {
            _latest = value;
            if (_passed is null || time.GetElapsedTime(_passedAt) >= Interval)
            {
                PassOn(value);
            }
        }
    }

    /// <summary>
    /// Waits for the reports passed on, after passing on the last one if it was held back. Never throws: progress is
    /// told as well as it can be, and a stream that cannot be written fails the writes that follow by itself.
    /// </summary>
    public async Task FlushAsync()
    {
        Task writing;
        lock (_gate)
        {
            if (_latest is not null && !ReferenceEquals(_latest, _passed))
            {
                PassOn(_latest);
            }

            writing = _writing;
        }

        await writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private void PassOn(BackupProgress value)
    {
        (_passed, _passedAt) = (value, time.GetTimestamp());
        _writing = AfterAsync(_writing, value);
    }

    // One write at a time, each after the one before, so the stream carries them in order.
    private async Task AfterAsync(Task previous, BackupProgress value)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await report(value).ConfigureAwait(false);
    }
}
