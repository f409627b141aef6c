namespace Strata.Providers.Hosts.Fleet;

/// <summary>How the control plane reaches hosts and decides they are gone.</summary>
public sealed class HostsOptions
{
    /// <summary>Strata's own <c>known_hosts</c> file.</summary>
    /// <value>Required; the control plane puts it at <c>STRATA_HOME/hosts/known_hosts</c>.</value>
    public string KnownHostsPath { get; set; } = "";

    /// <summary>How long to wait for a host's sshd to answer and the login to finish.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a started agent has to say hello (the .NET runtime starting on a small host is most of it).</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the agent sends a heartbeat.</summary>
    /// <value>The default is 1 second.</value>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A host whose agent has been silent this long is <c>unreachable</c>.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan HostTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A host whose agent has been silent this long is <c>lost</c>.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan HostLostAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often host states are re-evaluated against the clock.</summary>
    /// <value>The default is 1 second.</value>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait before reconnecting to a host whose connection ended; it doubles with each failed attempt.</summary>
    /// <value>The default is 1 second.</value>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts to reconnect to a host.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Every problem with these options, all at once; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(KnownHostsPath))
        {
            errors.Add("knownHostsPath is required");
        }

        foreach (var (name, value) in new[] { ("connectTimeout", ConnectTimeout), ("helloTimeout", HelloTimeout), ("heartbeatInterval", HeartbeatInterval), ("hostTimeout", HostTimeout), ("checkInterval", CheckInterval), ("reconnectDelay", ReconnectDelay) })
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"{name} must be positive, not {Format(value)}");
            }
        }

        if (HostTimeout <= HeartbeatInterval)
        {
            errors.Add($"hostTimeout ({Format(HostTimeout)}) must be longer than heartbeatInterval ({Format(HeartbeatInterval)}), or every host would be unreachable between two heartbeats");
        }

        if (MaxReconnectDelay < ReconnectDelay)
        {
            errors.Add($"maxReconnectDelay ({Format(MaxReconnectDelay)}) must not be shorter than reconnectDelay ({Format(ReconnectDelay)})");
        }

        if (HostLostAfter <= HostTimeout)
        {
            errors.Add($"hostLostAfter ({Format(HostLostAfter)}) must be longer than hostTimeout ({Format(HostTimeout)}): a host is unreachable before it is lost");
        }

        return errors;
    }

    // As specs and the command line write durations: 500ms, 10s.
    private static string Format(TimeSpan value) => value.TotalMilliseconds % 1000 == 0
        ? $"{value.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}s"
        : $"{value.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}ms";
}
