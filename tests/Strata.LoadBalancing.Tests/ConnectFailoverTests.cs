using System.Net;
using System.Net.Sockets;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// A member that does not accept connections in time (its accept queue is full, as on a machine too loaded for it to
/// keep up) has answered nothing: the built-in proxy must try the request on another member instead of failing it.
/// </summary>
public sealed class ConnectFailoverTests
{
    [Fact]
    public async Task Forward_MemberWhoseConnectTimesOut_GetIsAnsweredByAnotherMember()
    {
        await using var fixture = new ProxyFixture(builtIn: o => o.ConnectTimeout = TimeSpan.FromMilliseconds(300));
        var good = await fixture.BackendAsync("web-good", "127.0.0.41");
        using var stuck = StuckListener.Start(IPAddress.Parse("127.0.0.42"));
        var instance = await fixture.StartAsync("hello-front-stuck");
        await fixture.Driver.SetMembersAsync(instance, [good.Member, new Member { Name = "web-stuck", Address = "127.0.0.42", Port = stuck.Port }], CancellationToken.None).WithTimeout();

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

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public static StuckListener Start(IPAddress address)
        {
            var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(address, 0));
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
