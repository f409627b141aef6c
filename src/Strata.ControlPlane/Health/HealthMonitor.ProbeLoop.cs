using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Health;

public sealed partial class HealthMonitor
{
    /// <summary>
    /// One server's probe loop: how to stop it, when it last made progress (read by the liveness audit), and the watch
    /// of its check on the server's host, if its host's agent runs it.
    /// </summary>
    private sealed class ProbeLoop(DateTimeOffset started)
    {
        private long _lastBeatTicks = started.UtcTicks;
        private volatile bool _waitingOnHost;
        private CancellationTokenSource? _wake;
        private int _wakeAsked;

        public DateTimeOffset Started { get; } = started;

        /// <summary>The server's state after the loop's last look.</summary>
        public ServerStatus State { get; set; } = ServerStatus.Booting;

        /// <summary>The check <see cref="Watch"/> was asked for; null before the first.</summary>
        public HealthCheckSpec? Watched { get; set; }

        public IProbeWatch? Watch { get; set; }

        /// <summary>True while the loop waits for its host's next result: it is not stuck, the results it waits for are alike.</summary>
        public bool WaitingOnHost => _waitingOnHost;

        /// <summary>Starts a wait for the host's next result, which <see cref="Wake"/> or <paramref name="ct"/> ends.</summary>
        public CancellationTokenSource WakeOn(CancellationToken ct)
        {
            var wake = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Volatile.Write(ref _wake, wake);
            _waitingOnHost = true;
            if (Interlocked.Exchange(ref _wakeAsked, 0) == 1)
            {
                // Asked while the loop was between two waits: this one ends at once.
                wake.Cancel();
            }

            return wake;
        }

        /// <summary>The wait for the host ended at <paramref name="now"/>.</summary>
        public void Waited(DateTimeOffset now)
        {
            _waitingOnHost = false;
            Volatile.Write(ref _wake, null);
            LastBeat = now;
        }

        /// <summary>Ends the loop's wait for its host, if it waits: the loop looks at its check again.</summary>
        public void Wake()
        {
            Volatile.Write(ref _wakeAsked, 1);
            try
            {
                if (Volatile.Read(ref _wake) is { } wake)
                {
                    Volatile.Write(ref _wakeAsked, 0);
                    wake.Cancel();
                }
            }
            catch (ObjectDisposedException)
            {
                // The wait ended meanwhile.
            }
        }

        public CancellationTokenSource Stop { get; } = new();

        public DateTimeOffset LastBeat
        {
            get => new(Interlocked.Read(ref _lastBeatTicks), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _lastBeatTicks, value.UtcTicks);
        }
    }
}
