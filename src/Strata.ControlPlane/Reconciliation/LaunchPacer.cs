using Microsoft.Extensions.Options;
using Strata.ControlPlane.Hosting;
using Strata.Planning.State;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Bounds how many servers are coming up at once on this host (launching or booting), so that a hundred launches do
/// not start a hundred interpreters together and starve them all, and the control plane with them. The bound starts
/// at <see cref="ControlPlaneOptions.LaunchesPerCore"/> per core and adapts to how fast servers come into service:
/// while boots stay near the fastest seen and every slot is used, it grows by one per server in service; when boots
/// take <see cref="SlowBootFactor"/> times the fastest, the machine is saturated and it shrinks by one, never below
/// one per core. A slot is held from the launch until the server is in service, failed or gone.
/// </summary>
public sealed class LaunchPacer
{
    /// <summary>How many times the fastest boot a boot may take before the host counts as saturated.</summary>
    public const double SlowBootFactor = 3;

    /// <summary>The weight of the newest boot in the running average.</summary>
    private const double NewestWeight = 0.2;

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Deployment, string Server), DateTimeOffset> _coming = [];
    private readonly Queue<TaskCompletionSource> _waiting = new();
    private readonly TimeProvider _time;
    private readonly int _min;
    private readonly int _max;
    private int _limit;
    private double? _fastest;
    private double? _average;

    public LaunchPacer(IOptions<ControlPlaneOptions> options, TimeProvider time)
    {
        _time = time;
        var cores = Math.Max(1, options.Value.Cores ?? Environment.ProcessorCount);
        _min = cores;
        _max = Math.Max(_min, cores * options.Value.MaxLaunchesPerCore);
        _limit = Math.Clamp(cores * options.Value.LaunchesPerCore, _min, _max);
    }

    /// <summary>Servers coming up at once now allowed.</summary>
    public int Limit
    {
        get
        {
            lock (_gate)
            {
                return _limit;
            }
        }
    }

    /// <summary>
    /// Waits for a slot for <paramref name="server"/>; false (and no slot held) when, by then, the server is no longer
    /// pending or configuring, e.g. it was scaled in while it waited.
    /// </summary>
    public async Task<bool> EnterAsync(DeploymentRuntime runtime, ServerState server, CancellationToken ct)
    {
        var key = (runtime.Name, server.Name);
        while (true)
        {
            TaskCompletionSource turn;
            lock (_gate)
            {
                if (_coming.ContainsKey(key) || _coming.Count < _limit)
                {
                    _coming[key] = _time.GetUtcNow();
                    break;
                }

                turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Enqueue(turn);
            }

            await turn.Task.WaitAsync(ct).ConfigureAwait(false);
        }

        if (runtime.State.FindServer(server.Tier, server.Name) is { State: ServerStatus.Pending or ServerStatus.Configuring })
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
        lock (_gate)
        {
            done = [.. _coming.Keys.Where(k => k.Deployment == deployment && !IsComing(state, k.Server))];
            foreach (var key in done)
            {
                if (FindServer(state, key.Item2) is { State: ServerStatus.InService, StateSince: { } since })
                {
                    Learn((since - _coming[key]).TotalSeconds);
                }
            }
        }

        Release(done);
    }

    private void Learn(double seconds)
    {
        _fastest = Math.Min(_fastest ?? seconds, seconds);
        _average = _average is { } average ? ((1 - NewestWeight) * average) + (NewestWeight * seconds) : seconds;
        if (_average > SlowBootFactor * Math.Max(_fastest.Value, 0.05))
        {
            _limit = Math.Max(_min, _limit - 1);
        }
        else if (_coming.Count >= _limit)
        {
            _limit = Math.Min(_max, _limit + 1);
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

    private static bool IsComing(DeploymentState state, string server) =>
        FindServer(state, server) is { State: ServerStatus.Pending or ServerStatus.Configuring or ServerStatus.Booting };

    private static ServerState? FindServer(DeploymentState state, string name) =>
        state.Tiers.SelectMany(t => t.Servers).FirstOrDefault(s => s.Name == name);
}
