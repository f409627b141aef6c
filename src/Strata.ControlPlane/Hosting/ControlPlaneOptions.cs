namespace Strata.ControlPlane.Hosting;

/// <summary>Options of the control-plane server.</summary>
public sealed class ControlPlaneOptions
{
    /// <summary>The default listen endpoint, <c>127.0.0.1:7480</c>.</summary>
    public const string DefaultListen = "127.0.0.1:7480";

    /// <summary>Where the REST API listens; loopback only. The default is <see cref="DefaultListen"/>.</summary>
    public string Listen { get; set; } = DefaultListen;

    /// <summary>The Strata home folder. The default is <c>$STRATA_HOME</c> or <c>~/.strata</c>.</summary>
    public StrataPaths Paths { get; set; } = StrataPaths.FromEnvironment();

    /// <summary>How often every deployment is reconciled even when nothing signalled a change. The default is 2 seconds.</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a server whose launch or termination failed is left alone before the next attempt, doubling with each
    /// failure in a row up to <see cref="MaxOperationRetryDelay"/>: a termination sent to a host that cannot be reached
    /// fails at once, and retried on every pass it filled the event log with hundreds of errors a second. The
    /// default is 1 second.
    /// </summary>
    public TimeSpan OperationRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts of a failing operation. The default is 1 minute.</summary>
    public TimeSpan MaxOperationRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The time between health probes of a server that is still booting, when the check's own interval is longer (as
    /// HAProxy's <c>fastinter</c>): a new server goes into service as soon as it answers, not up to an interval later.
    /// The default is 100 milliseconds.
    /// </summary>
    public TimeSpan BootProbeInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The grid on which probes of one interval are spread over it: each server is probed at its own stable offset,
    /// a multiple of this step, past each tick of the interval, so that a hundred servers are not all probed at the
    /// same instant (see <see cref="Health.ProbeSchedule"/>). The default is 10 milliseconds.
    /// </summary>
    public TimeSpan ProbeSpreadStep { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Health probes that may run at once per core (see <see cref="Cores"/>); more wait for a slot, and a probe's
    /// timeout starts only once it has one. The default is 8.
    /// </summary>
    public int ProbesPerCore { get; set; } = 8;

    /// <summary>
    /// How often the liveness audit looks for servers that nothing is working on: a booting, in-service or unhealthy
    /// server whose probe loop is missing or stuck, a pending, configuring or terminating one with no operation under
    /// way, a booting one past its health check's grace. The default is 5 seconds.
    /// </summary>
    public TimeSpan LivenessAuditInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long past a deadline the liveness audit waits before it repairs a server, so that it never races the
    /// owner that is about to act (a probe loop between two probes, a pass about to resume a launch). The default is
    /// 5 seconds.
    /// </summary>
    public TimeSpan LivenessSlack { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a server the provider no longer knows must stay unknown, at a second look, before it is failed as
    /// disappeared: a death is a verdict acted on only once confirmed. The default is 1 second.
    /// </summary>
    public TimeSpan DeathConfirmation { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The cores probe slots and launch pacing count on, whatever the hosts. The default is this machine's
    /// (<see cref="Environment.ProcessorCount"/>) for probes, and for launch pacing those of the ready hosts servers are
    /// placed on (see <see cref="Reconciliation.LaunchPacer"/>), or this machine's when there are none.
    /// </summary>
    public int? Cores { get; set; }

    /// <summary>
    /// Servers that may be coming up (launching or booting) at once per core, at first; the bound then adapts to how
    /// fast servers come into service (see <see cref="Reconciliation.LaunchPacer"/>), never below one per core. The
    /// default is 8.
    /// </summary>
    public int LaunchesPerCore { get; set; } = 8;

    /// <summary>The most servers per core that launch pacing lets come up at once. The default is 16.</summary>
    public int MaxLaunchesPerCore { get; set; } = 16;

    /// <summary>The longest wait before a failing launch is retried. The default is 5 minutes.</summary>
    public TimeSpan MaxLaunchBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long an image's <c>stop</c> hook may run before the server is stopped with signals anyway (SIGTERM, then
    /// SIGKILL after the provider's grace). The default is 60 seconds.
    /// </summary>
    public TimeSpan StopHookTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The environment variable that sets <see cref="LocalAddresses"/>, written <c>127.5.0.1-127.5.255.254</c>.</summary>
    public const string LocalAddressesVariable = "STRATA_LOCAL_ADDRESSES";

    /// <summary>
    /// The loopback range the local provider gives server addresses from, so that two Strata homes on one machine do
    /// not hand out the same addresses. The default is the provider's own (127.1.0.1 to 127.1.255.254), or
    /// <c>$STRATA_LOCAL_ADDRESSES</c>.
    /// </summary>
    public (string Start, string End)? LocalAddresses { get; set; } = ParseRange(Environment.GetEnvironmentVariable(LocalAddressesVariable));

    public static (string Start, string End)? ParseRange(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parts = text.Split('-', 2, StringSplitOptions.TrimEntries);
        return parts.Length == 2 && System.Net.IPAddress.TryParse(parts[0], out var start) && System.Net.IPAddress.TryParse(parts[1], out var end)
                && System.Net.IPAddress.IsLoopback(start) && System.Net.IPAddress.IsLoopback(end)
            ? (parts[0], parts[1])
            : throw new ArgumentException($"{LocalAddressesVariable}='{text}' must be a loopback range such as 127.5.0.1-127.5.255.254");
    }

    /// <summary>
    /// How long a host's agent may be silent before the host is <c>unreachable</c>. The default is null: the fleet's
    /// own, 10 seconds (<see cref="Providers.Hosts.Fleet.HostsOptions.HostTimeout"/>).
    /// </summary>
    public TimeSpan? HostTimeout { get; set; }

    /// <summary>
    /// How long a host's agent may be silent before the host is <c>lost</c> and its servers are replaced elsewhere.
    /// The default is null: the fleet's own, 30 seconds (<see cref="Providers.Hosts.Fleet.HostsOptions.HostLostAfter"/>).
    /// </summary>
    public TimeSpan? HostLostAfter { get; set; }

    /// <summary>Sets on the fleet's options the host timings these options give; the others keep their defaults.</summary>
    public void ApplyTo(Providers.Hosts.Fleet.HostsOptions hosts)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        hosts.HostTimeout = HostTimeout ?? hosts.HostTimeout;
        hosts.HostLostAfter = HostLostAfter ?? hosts.HostLostAfter;
    }

    /// <summary>The command that starts a built-in load balancer process (the CLI sets it to itself plus <c>proxy</c>).</summary>
    public IReadOnlyList<string> ProxyCommand { get; set; } = [];
}
