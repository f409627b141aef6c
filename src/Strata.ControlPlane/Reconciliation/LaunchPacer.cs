using Microsoft.Extensions.Options;
using Strata.ControlPlane.Hosting;
using Strata.Planning.State;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Bounds how many servers are coming up at once (launching or booting), so that a hundred launches do not start a
/// hundred interpreters together and starve them all, and the control plane with them. The bound is per core of the
/// machines servers boot on: this one, or the ready hosts servers are placed on (<see cref="ITierCapacity.BootCores"/>;
/// placement spreads launches over them, least loaded first), so that five hosts bring servers up five times as fast
/// as one. It starts at <see cref="ControlPlaneOptions.LaunchesPerCore"/> per core and adapts to how fast servers come
/// into service: while boots take less than <see cref="SaturatedGraceShare"/> of their health check's grace and every
/// slot is used, it grows by one per server in service; past that share the machines are saturated and it shrinks by
/// one, never below one per core. Boots slowing down as more run at once is the machine being used, not harm (compared with the
/// fastest boot seen, as before, the bound fell to its floor on any busy machine and launches crawled); a boot that
/// nears its grace risks being failed, and that is harm. A slot is held from the launch until the server is in
/// service, failed or gone; a launch waiting for one looks at its deployment's state every
/// <see cref="ControlPlaneOptions.BootProbeInterval"/>, so a slot freed by a server going into service is not held
/// until the next reconcile pass.
/// </summary>
public sealed class LaunchPacer
{
    /// <summary>The share of its grace an average boot may take before the host counts as saturated.</summary>
    public const double SaturatedGraceShare = 0.25;

    /// <summary>The weight of the newest boot in the running average.</summary>
    private const double NewestWeight = 0.2;

    /// <summary>The grace assumed for a tier without a health check, whose servers are in service once launched.</summary>
    private static readonly TimeSpan s_defaultGrace = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Deployment, string Server), Coming> _coming = [];
    private readonly Dictionary<string, DateTimeOffset> _settled = new(StringComparer.Ordinal);
    private readonly Queue<TaskCompletionSource> _waiting = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _recheck;
    private readonly ITierCapacity? _capacity;
    private readonly int? _cores;
    private readonly int _maxPerCore;
    private double _perCore;
    private double? _average;

    /// <param name="options">The pacing options; <see cref="ControlPlaneOptions.Cores"/>, when set, is the cores to pace for whatever the hosts.</param>
    /// <param name="time">The clock.</param>
    /// <param name="capacity">Where servers are placed, which tells the cores they boot on; null for this machine's.</param>
    public LaunchPacer(IOptions<ControlPlaneOptions> options, TimeProvider time, ITierCapacity? capacity = null)
    {
        _time = time;
        _capacity = capacity;
        _recheck = options.Value.BootProbeInterval;
        _cores = options.Value.Cores;
        _maxPerCore = Math.Max(1, options.Value.MaxLaunchesPerCore);
        _perCore = Math.Clamp(options.Value.LaunchesPerCore, 1, _maxPerCore);
    }

    /// <summary>Servers coming up at once now allowed.</summary>
    public int Limit
    {
        get
        {
            var cores = Cores();
            lock (_gate)
            {
                return LimitNow(cores);
            }
        }
    }

    private int Cores() => Math.Max(1, _cores ?? _capacity?.BootCores ?? Environment.ProcessorCount);

    private int LimitNow(int cores) => Math.Clamp((int)Math.Round(_perCore * cores), cores, cores * _maxPerCore);

    /// <summary>
    /// Waits for a slot for <paramref name="server"/>; false (and no slot held) when, by then, the server is no longer
    /// pending or configuring, e.g. it was scaled in while it waited.
    /// </summary>
    public async Task<bool> EnterAsync(DeploymentRuntime runtime, ServerState server, CancellationToken ct)
    {
        var key = (runtime.Name, server.Name);
        var grace = runtime.DesiredFor(server).Spec.FindTier(server.Tier)?.Health?.Grace ?? s_defaultGrace;
        while (true)
        {
            TaskCompletionSource turn;
            var cores = Cores();
            lock (_gate)
            {
                if (_coming.ContainsKey(key) || _coming.Count < LimitNow(cores))
                {
                    _coming[key] = new Coming(_time.GetUtcNow(), grace);
                    break;
                }

                turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Enqueue(turn);
            }

            try
            {
                await turn.Task.WaitAsync(_recheck, _time, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                SettleIfDue(runtime.Name, runtime.State);
            }

            // A server scaled in or removed while it waits gives up at once: its termination waits for this launch.
            if (!IsLaunching(runtime, server))
            {
                return false;
            }
        }

        if (IsLaunching(runtime, server))
        {
            return true;
        }

        Release([key]);
        return false;
    }

    /// <summary>
    /// Gives back the slots of the deployment's servers that are no longer coming up, learning from those in service
    /// how fast the host brings servers up. Called on every reconcile pass.
    /// </summary>
    public void Settle(string deployment, DeploymentState state)
    {
        List<(string, string)> done;
        var cores = Cores();
        lock (_gate)
        {
            _settled[deployment] = _time.GetUtcNow();
            var servers = state.Tiers.SelectMany(t => t.Servers).ToDictionary(s => s.Name, StringComparer.Ordinal);
            done = [.. _coming.Keys.Where(k => k.Deployment == deployment && !IsComing(servers.GetValueOrDefault(k.Server)))];
            foreach (var key in done)
            {
                if (servers.GetValueOrDefault(key.Item2) is { State: ServerStatus.InService, StateSince: { } since })
                {
                    var coming = _coming[key];
                    Learn((since - coming.Since) / coming.Grace, cores);
                }
            }
        }

        Release(done);
    }

    /// <summary>Settles the deployment from a waiting launch, unless a pass or another launch did so within the re-check interval.</summary>
    private void SettleIfDue(string deployment, DeploymentState state)
    {
        lock (_gate)
        {
            if (_settled.TryGetValue(deployment, out var last) && _time.GetUtcNow() - last < _recheck)
            {
                return;
            }
        }

        Settle(deployment, state);
    }

    /// <param name="graceShare">How much of its grace the boot took.</param>
    /// <param name="cores">The cores servers boot on now: the bound moves by one slot of all of them.</param>
    private void Learn(double graceShare, int cores)
    {
        _average = _average is { } average ? ((1 - NewestWeight) * average) + (NewestWeight * graceShare) : graceShare;
        if (_average > SaturatedGraceShare)
        {
            _perCore = Math.Max(1, (LimitNow(cores) - 1.0) / cores);
        }
        else if (_coming.Count >= LimitNow(cores))
        {
            _perCore = Math.Min(_maxPerCore, (LimitNow(cores) + 1.0) / cores);
        }
    }

    private void Release(IReadOnlyCollection<(string, string)> keys)
    {
        var wake = new List<TaskCompletionSource>();
        lock (_gate)
        {
            foreach (var key in keys)
            {
                _coming.Remove(key);
            }

            // Every waiter looks again: the limit may have grown by more than the slots given back.
            while (_waiting.TryDequeue(out var turn))
            {
                wake.Add(turn);
            }
        }

        wake.ForEach(t => t.TrySetResult());
    }

    private static bool IsLaunching(DeploymentRuntime runtime, ServerState server) =>
        runtime.State.FindServer(server.Tier, server.Name) is { State: ServerStatus.Pending or ServerStatus.Configuring };

    private static bool IsComing(ServerState? server) =>
        server is { State: ServerStatus.Pending or ServerStatus.Configuring or ServerStatus.Booting };

    /// <summary>A slot: since when it is held, and the grace of the server's health check.</summary>
    private sealed record Coming(DateTimeOffset Since, TimeSpan Grace);
}
