using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// A killed server's kept-alive connection ends unanswered, and the built-in proxy waits 250 ms before it tries that
/// member again. When the control plane takes the member out meanwhile, the request must go to another member at once,
/// not after the rest of the backoff: the recovery benchmark's replacement answered ~200 ms late in 4 runs of 10.
/// </summary>
[Trait("kind", "e2e")]
public sealed class StalledMemberRemovalTests
{
    // Well below the first backoff of 250 ms, and far above the time a burst of connects takes.
    private static readonly TimeSpan s_settle = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Forward_MemberClosingUnansweredTakenOutDuringTheBackoff_GetGoesToTheNewMemberWithoutMoreRetries()
    {
        await using var fixture = new ProxyFixture();
        var good = await fixture.BackendAsync("web-good", LoopbackPorts.Reserve().Address);
        var closingAt = LoopbackPorts.Reserve();
        using var closing = ClosingListener.Start(new IPEndPoint(IPAddress.Parse(closingAt.Address), closingAt.Port));
        var instance = await fixture.StartAsync("hello-front-closing");
        var closingMember = new Member { Name = "web-closing", Address = closingAt.Address, Port = closingAt.Port };
        await fixture.Driver.SetMembersAsync(instance, [closingMember], CancellationToken.None).WithTimeout();

        var get = fixture.GetAsync(instance);
        await Eventually.WaitAsync(() => closing.Accepted >= 1, "the GET reached the member that closes unanswered");
        await fixture.Driver.SetMembersAsync(instance, [good.Member], CancellationToken.None).WithTimeout();
        var removedAt = Stopwatch.GetTimestamp();

        Assert.Equal((200, "web-good"), await get.WithTimeout());
        // Without giving up on the member that left, the proxy tried it again 250, 750 and 1,750 ms after the first
        // failure, and answered only then.
        var late = closing.AcceptedSince(removedAt + (long)(s_settle.TotalSeconds * Stopwatch.Frequency));
        Assert.True(late == 0, $"the member taken out was tried {late} more times after it left; proxy log:\n{fixture.LogTail()}");
    }

    /// <summary>Accepts every connection, reads the request and closes the connection without an answer.</summary>
    private sealed class ClosingListener : IDisposable
    {
        private readonly Socket _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<long> _accepted = [];

        private ClosingListener(Socket listener) => _listener = listener;

        public int Accepted
        {
            get
            {
                lock (_accepted)
                {
                    return _accepted.Count;
                }
            }
        }

        /// <summary>Connections accepted at or after a <see cref="Stopwatch"/> timestamp.</summary>
        public int AcceptedSince(long timestamp)
        {
            lock (_accepted)
            {
                return _accepted.Count(t => t >= timestamp);
            }
        }

        public static ClosingListener Start(IPEndPoint endpoint)
        {
            var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(endpoint);
            listener.Listen(16);
            var closing = new ClosingListener(listener);
            _ = closing.AcceptAsync();
            return closing;
        }

        private async Task AcceptAsync()
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    using var connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
                    lock (_accepted)
                    {
                        _accepted.Add(Stopwatch.GetTimestamp());
                    }

                    await connection.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Dispose();
            _stop.Dispose();
        }
    }
}
