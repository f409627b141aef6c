namespace Strata.ControlPlane.Backups;

/// <summary>Options of scheduled backups, restores and restore drills.</summary>
public sealed class BackupOptions
{
    /// <summary>How often the scheduler looks for due backups and drills.</summary>
    /// <value>The default is 15 seconds.</value>
    public TimeSpan SchedulerInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a <c>backup</c>, <c>restore</c>, <c>freeze</c>, <c>thaw</c> or <c>verify</c> hook may run.</summary>
    /// <value>The default is 30 minutes.</value>
    public TimeSpan HookTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How many times an operation on an unreachable store is tried in all.</summary>
    /// <value>The default is 4.</value>
    public int StoreAttempts { get; set; } = 4;

    /// <summary>The first wait before retrying an unreachable store; it doubles on each retry, with up to a fifth taken off at random.</summary>
    /// <value>The default is 2 seconds.</value>
    public TimeSpan StoreRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait between two attempts on an unreachable store.</summary>
    /// <value>The default is 1 minute.</value>
    public TimeSpan StoreMaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a restored or scratch server may take to pass its health check.</summary>
    /// <value>The default is 5 minutes.</value>
    public TimeSpan HealthTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long after a failed copy to the disaster-recovery store it is tried again; it doubles with each failure, with jitter.</summary>
    /// <value>The default is 1 minute.</value>
    public TimeSpan DisasterRecoveryRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest wait between two attempts of a copy to the disaster-recovery store, jitter included.</summary>
    /// <value>The default is 1 hour.</value>
    public TimeSpan DisasterRecoveryMaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Returns every problem with these options (empty when they are valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (SchedulerInterval <= TimeSpan.Zero)
        {
            errors.Add("SchedulerInterval must be positive");
        }

        if (HookTimeout <= TimeSpan.Zero || HealthTimeout <= TimeSpan.Zero)
        {
            errors.Add("HookTimeout and HealthTimeout must be positive");
        }

        if (DisasterRecoveryRetryDelay <= TimeSpan.Zero || DisasterRecoveryMaxRetryDelay < DisasterRecoveryRetryDelay)
        {
            errors.Add("DisasterRecoveryRetryDelay must be positive and DisasterRecoveryMaxRetryDelay at least as long");
        }

        if (StoreAttempts < 1)
        {
            errors.Add("StoreAttempts must be at least 1");
        }

        if (StoreRetryDelay <= TimeSpan.Zero || StoreMaxRetryDelay < StoreRetryDelay)
        {
            errors.Add("StoreRetryDelay must be positive and StoreMaxRetryDelay at least as long");
        }

        return errors;
    }
}
