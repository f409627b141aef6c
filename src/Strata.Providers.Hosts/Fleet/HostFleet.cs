using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Api.Contracts.Agent;
using Strata.Providers.Hosts.Agent;
using Strata.Providers.Hosts.Ssh;
using Strata.Storage;

namespace Strata.Providers.Hosts.Fleet;

/// <summary>
/// The hosts this control plane is connected to, each with its agent channel. A host's state follows from when its agent
/// was last heard from (<see cref="HostStateDecision"/>); states are re-evaluated every
/// <see cref="HostsOptions.CheckInterval"/> and each change is published to <see cref="WatchAsync"/>. A host whose
/// connection ends is reconnected (trusting only its recorded key) with a growing delay, until it is disconnected.
/// </summary>
public sealed partial class HostFleet : IAsyncDisposable
{
    private readonly HostsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<HostFleet> _logger;
    private readonly HostLinks _links;
    private readonly Lock _gate = new();
    private readonly List<Channel<HostStatus>> _watchers = [];
    private ITimer? _checks;
    private readonly Random _random;
    private ImmutableDictionary<string, HostConnection> _hosts = ImmutableDictionary<string, HostConnection>.Empty;
    private ImmutableDictionary<string, Keeper> _keepers = ImmutableDictionary<string, Keeper>.Empty;
    private ImmutableDictionary<string, HostStatus> _published = ImmutableDictionary<string, HostStatus>.Empty;

    // Hosts kept out of placement while their servers move elsewhere; a host's connection does not change it.
    private ImmutableHashSet<string> _draining = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <param name="options">How hosts are reached and judged.</param>
    /// <param name="images">The control plane's object store, where registered images' archives are read from to be sent to hosts.</param>
    /// <param name="time">The clock of heartbeats and reconnections.</param>
    /// <param name="logger">The fleet's log.</param>
    public HostFleet(IOptions<HostsOptions> options, IObjectStore images, TimeProvider time, ILogger<HostFleet> logger)
        : this(options, images, new KeepEverything(), time, logger, new Random())
    {
    }

    /// <param name="options">How hosts are reached and judged.</param>
    /// <param name="images">The control plane's object store, where registered images' archives are read from to be sent to hosts.</param>
    /// <param name="fencing">What the control plane still runs on a host, which its agent keeps on connecting; it stops every other server.</param>
    /// <param name="time">The clock of heartbeats and reconnections.</param>
    /// <param name="logger">The fleet's log.</param>
    public HostFleet(IOptions<HostsOptions> options, IObjectStore images, IHostFencing fencing, TimeProvider time, ILogger<HostFleet> logger)
        : this(options, images, fencing, time, logger, new Random())
    {
    }

    internal HostFleet(IOptions<HostsOptions> options, IObjectStore images, IHostFencing fencing, TimeProvider time, ILogger<HostFleet> logger, Random random)
    {
        _random = random;
        _options = options.Value;
        if (_options.Validate() is { Count: > 0 } errors)
        {
            throw new OptionsValidationException(nameof(HostsOptions), typeof(HostsOptions), errors);
        }

        _time = time;
        _logger = logger;
        KnownHosts = new KnownHosts(_options.KnownHostsPath);
        _links = new HostLinks(new SshConnector(KnownHosts, _options.ConnectTimeout), _options, time, logger, images, fencing);
    }

    public KnownHosts KnownHosts { get; }

    /// <summary>Raised when a host's agent reports that the run command of one of its servers exited.</summary>
    public event Action<ServerStopped>? ServerStopped;

    /// <summary>Raised, with the host's name, for each health result a host's agent sends (see <see cref="HostAgent.WatchHealthAsync"/>); handlers must return at once.</summary>
    public event Action<string, AgentHealth>? HealthReported;

    /// <summary>
    /// Raised, with the host's name, on each heartbeat with the ids of the health watches its agent runs (null from an
    /// agent older than watches); handlers must return at once.
    /// </summary>
    public event Action<string, IReadOnlyList<long>?>? WatchesListed;

    /// <summary>
    /// Raised with the host's name when a new agent of the host said hello and can be used: it knows nothing of the
    /// health checks an earlier one ran.
    /// </summary>
    public event Action<string>? AgentConnected;

    /// <summary>Raised with a host's status when its state or connection changed; handlers must return at once.</summary>
    public event Action<HostStatus>? Changed;

    /// <summary>The options the fleet decides states by.</summary>
    public HostsOptions Options => _options;

    /// <summary>
    /// Connects to the host, installs and starts its agent and waits for its hello; a connection the fleet already had
    /// to a host of that name is closed first.
    /// </summary>
    /// <exception cref="HostConnectException">The host could not be reached, trusted, logged in to, or its agent started.</exception>
    public async Task<HostStatus> ConnectAsync(HostRegistration host, bool acceptNewHostKey, CancellationToken ct)
    {
        await DisconnectAsync(host.Name).ConfigureAwait(false);
        var connection = await HostConnection.OpenAsync(host, acceptNewHostKey, _links, ct).ConfigureAwait(false);
        Connected(host, connection);
        KeepConnected(host, connection);
        return Find(host.Name)!;
    }

    /// <summary>
    /// Connects to a registered host in the background and keeps it connected, trusting only its recorded host key (a
    /// control plane starting up does this for every host in its inventory); failures are logged and retried.
    /// </summary>
    public void Keep(HostRegistration host) => KeepConnected(host, connection: null);

    /// <summary>Stops the host's agent and closes its connection; false when the fleet had none.</summary>
    public async Task<bool> DisconnectAsync(string name)
    {
        // The keeper first, so that it does not reconnect what is being closed.
        if (_keepers.TryGetValue(name, out var keeper))
        {
            await keeper.Stop.CancelAsync().ConfigureAwait(false);
            await keeper.Task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            keeper.Stop.Dispose();
            lock (_gate)
            {
                _keepers = _keepers.Remove(name);
            }
        }

        // A host registered again under this name starts ready.
        ImmutableInterlocked.Update(ref _draining, d => d.Remove(name));
        HostConnection? connection;
        lock (_gate)
        {
            if (!_hosts.TryGetValue(name, out connection))
            {
                return false;
            }

            _hosts = _hosts.Remove(name);
            _published = _published.Remove(name);
        }

        await connection.DisposeAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Marks a host as draining (kept out of placement: its state is <see cref="HostState.Draining"/> while it is heard
    /// from) or ready again; the change is published at once. A host not connected yet keeps the mark for when it is.
    /// </summary>
    public void SetDraining(string name, bool draining)
    {
        ImmutableInterlocked.Update(ref _draining, d => draining ? d.Add(name) : d.Remove(name));
        Evaluate();
    }

    /// <summary>True when the host is marked as draining, whatever its connection.</summary>
    public bool IsDraining(string name) => _draining.Contains(name);

    public HostStatus? Find(string name) => _hosts.TryGetValue(name, out var connection) ? StatusOf(connection, _time.GetUtcNow()) : null;

    /// <summary>The agent of a connected host, to run servers there; null while the host is not connected.</summary>
    public HostAgent? AgentOf(string name) => _hosts.TryGetValue(name, out var connection) && connection.Connected ? connection.Agent : null;

    /// <summary>The digest of the host's listing of its servers as its agent's last heartbeat said (see <see cref="HostAgent.ListAllServersAsync"/>); null when unknown.</summary>
    public string? ServersDigestOf(string name) => _hosts.TryGetValue(name, out var connection) && connection.Connected ? connection.ServersDigest : null;

    public IReadOnlyList<HostStatus> List()
    {
        var now = _time.GetUtcNow();
        return [.. _hosts.Values.Select(c => StatusOf(c, now)).OrderBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary>Every host's status now, then each change of a host's state, connection or agent as it happens.</summary>
    public async IAsyncEnumerable<HostStatus> WatchAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateUnbounded<HostStatus>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            _watchers.Add(channel);
            foreach (var status in _published.Values)
            {
                channel.Writer.TryWrite(status);
            }
        }

        try
        {
            await foreach (var status in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                yield return status;
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_checks is { } checks)
        {
            await checks.DisposeAsync().ConfigureAwait(false);
        }

        var errors = new List<Exception>();
        foreach (var name in _hosts.Keys.Union(_keepers.Keys))
        {
            try
            {
                await DisconnectAsync(name).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                errors.Add(ex);
            }
        }

        if (errors.Count > 0)
        {
            throw new AggregateException("closing the hosts' connections failed", errors);
        }
    }

    private void Connected(HostRegistration host, HostConnection connection)
    {
        lock (_gate)
        {
            _hosts = _hosts.SetItem(host.Name, connection);
        }

        connection.Agent!.ServerStopped += stopped => ServerStopped?.Invoke(stopped);
        connection.Agent.Health += health => HealthReported?.Invoke(host.Name, health);
        connection.Agent.Watching += watching => WatchesListed?.Invoke(host.Name, watching);

        LogConnected(_logger, host.Name, host.Login.Target.ToString(), connection.Hello!.Version, connection.Hello.Build ?? "unknown",
            connection.Install!.FilesCopied, connection.Install.BytesCopied);
        Evaluate();
        AgentConnected?.Invoke(host.Name);
    }

    /// <summary>
    /// Starts re-evaluating states every <see cref="HostsOptions.CheckInterval"/>, once there is a host to judge: a
    /// control plane without hosts (every one, until a host is added) keeps no timer for them.
    /// </summary>
    private void StartChecks()
    {
        lock (_gate)
        {
            _checks ??= _time.CreateTimer(_ => Evaluate(), null, _options.CheckInterval, _options.CheckInterval);
        }
    }

    private HostStatus StatusOf(HostConnection connection, DateTimeOffset now) => new()
    {
        Name = connection.Registration.Name,
        State = HostStateDecision.Decide(connection.LastHeartbeat, _draining.Contains(connection.Registration.Name), now, _options),
        Connected = connection.Connected,
        Agent = connection.Hello,
        LastHeartbeat = connection.LastHeartbeat,
        DiskFreeBytes = connection.DiskFreeBytes,
        Install = connection.Install,
    };

    private void Evaluate()
    {
        var now = _time.GetUtcNow();
        List<HostStatus> changed = [];
        lock (_gate)
        {
            foreach (var connection in _hosts.Values)
            {
                var status = StatusOf(connection, now);
                if (_published.TryGetValue(status.Name, out var before)
                    && before.State == status.State && before.Connected == status.Connected && ReferenceEquals(before.Agent, status.Agent))
                {
                    continue;
                }

                _published = _published.SetItem(status.Name, status);
                changed.Add(status);
                LogChanged(_logger, status.Name, status.State, status.Connected);
                foreach (var watcher in _watchers)
                {
                    watcher.Writer.TryWrite(status);
                }
            }
        }

        changed.ForEach(status => Changed?.Invoke(status));
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information,
        Message = "Host {Host} connected at {Target}; its agent {Version} ({Build}) said hello after {FilesCopied} of its files ({BytesCopied} bytes) were copied")]
    private static partial void LogConnected(ILogger logger, string host, string target, string version, string build, int filesCopied, long bytesCopied);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Host {Host} is {State} (channel open: {Connected})")]
    private static partial void LogChanged(ILogger logger, string host, HostState state, bool connected);
}
