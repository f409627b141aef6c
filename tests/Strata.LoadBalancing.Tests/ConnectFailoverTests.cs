using System.Net;
using System.Net.Sockets;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// A member that does not accept connections in time (its accept queue is full, as on a machine too loaded for it to
/// keep up) has answered nothing: the built-in proxy must try the request on another member instead of failing it.
/// </summary>
[Trait("kind", "e2e")]
public sealed class ConnectFailoverTests
{
    [Fact]
    public async Task Forward_MemberWhoseConnectTimesOut_GetIsAnsweredByAnotherMember()
    {
        await using var fixture = new ProxyFixture(builtIn: o => o.ConnectTimeout = TimeSpan.FromMilliseconds(300));
        var good = await fixture.BackendAsync("web-good", LoopbackPorts.Reserve().Address);
        var stuckAt = LoopbackPorts.Reserve();
        using var stuck = StuckListener.Start(new IPEndPoint(IPAddress.Parse(stuckAt.Address), stuckAt.Port));
        var instance = await fixture.StartAsync("hello-front-stuck");
        await fixture.Driver.SetMembersAsync(instance, [good.Member, new Member { Name = "web-stuck", Address = stuckAt.Address, Port = stuckAt.Port }], CancellationToken.None).WithTimeout();

        var answers = new List<(int Status, string Body)>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await fixture.GetAsync(instance));
        }

        Assert.All(answers, a => Assert.Equal((200, "web-good"), a));
    }

    /// <summary>A listening socket that never accepts, with its accept queue filled so that new connects hang.</summary>
    private sealed class StuckListener : IDisposable
    {
        private readonly Socket _listener;
        private readonly List<Socket> _fillers = [];

        private StuckListener(Socket listener) => _listener = listener;

        public static StuckListener Start(IPEndPoint endpoint)
        {
            var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(endpoint);
            listener.Listen(0);
            var stuck = new StuckListener(listener);
            stuck.Fill();
            return stuck;
        }

        // With a backlog of 0 Linux queues one connection; the next SYNs are dropped and their connects hang.
        private void Fill()
        {
            for (var i = 0; i < 4; i++)
            {
                var filler = new Socket(SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
                _fillers.Add(filler);
                try
                {
                    filler.Connect(_listener.LocalEndPoint!);
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
                {
                    // Queued, or hanging as the proxy's will: either way the queue fills.
                }
            }
        }

        public void Dispose()
        {
            _fillers.ForEach(f => f.Dispose());
            _listener.Dispose();
        }
    }
}
