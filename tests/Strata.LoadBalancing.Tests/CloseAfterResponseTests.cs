using System.Diagnostics;
using System.Globalization;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// One backend like the hello example's (Python's <c>http.server</c>: HTTP/1.0, one connection per request, closed
/// after the response) with a listen backlog of 1, behind each driver under steady <c>wrk</c> load: no request may
/// fail. A POST the server received is never sent to it a second time.
/// </summary>
public abstract class CloseAfterResponseTests
{
    protected abstract string DriverName { get; }

    // Single-threaded, HTTP/1.0 and a backlog of 1: every request is a new connection and, while the server is busy,
    // a connection attempt may be refused or dropped. POST /once reads the request and closes without answering.
    private const string BackendScript = """
        import http.server, sys
        http.server.HTTPServer.request_queue_size = 1
        posts = open(sys.argv[2], "a", buffering=1)
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                posts.write("post\n")
                self.close_connection = True
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer((sys.argv[1], 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """;

    [Fact]
    public async Task OneCloseAfterResponseServerWithTinyBacklog_UnderWrk_NoFailedRequest()
    {
        await using var fixture = new ProxyFixture(DriverName);
        using var backend = StartBackend(fixture, $"{DriverName}-close-1", "127.0.0.91", out var member, out _);
        var instance = await fixture.StartAsync(ProxyFixture.Definition($"{DriverName}-close"));
        await fixture.Driver.SetMembersAsync(instance, [member], CancellationToken.None).WithTimeout();
        await Eventually.WaitAsync(async () => (await fixture.GetAsync(instance)).Status == 200, "the server to answer");

        using var wrk = StartWrk(instance, TimeSpan.FromSeconds(6));
        await wrk.WaitForExitAsync().WithTimeout(TimeSpan.FromSeconds(40));
        var report = await wrk.StandardOutput.ReadToEndAsync().WithTimeout();

        var log = fixture.LogTail();
        Assert.True(wrk.ExitCode == 0, report);
        Assert.Contains("requests in", report);
        Assert.False(report.Contains("Non-2xx", StringComparison.Ordinal), report + log);
        Assert.False(report.Contains("Socket errors", StringComparison.Ordinal), report + log);
        // The server closes each connection after its answer: a request sent on such a connection again ends with no
        // response. None may be, so none needs a retry.
        var endedWithoutResponse = fixture.LogTail(int.MaxValue).Split('\n').Where(l => l.Contains("(ResponseEnded)", StringComparison.Ordinal)).ToList();
        Assert.True(endedWithoutResponse.Count == 0, $"{endedWithoutResponse.Count} requests ended without a response:\n" + string.Join("\n", endedWithoutResponse.Take(10)));
    }

    [Fact]
    public async Task ScaleOneToThreeToOne_UnderWrk_NoFailedRequest()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var members = new List<Member>();
        var backends = new List<Backend>();
        foreach (var (address, i) in new[] { "127.0.0.101", "127.0.0.102", "127.0.0.103" }.Select((a, i) => (a, i)))
        {
            backends.Add(StartBackend(fixture, $"{DriverName}-scale-{i + 1}", address, out var member, out _));
            members.Add(member);
        }

        try
        {
            var instance = await fixture.StartAsync(ProxyFixture.Definition($"{DriverName}-scale"));
            await fixture.Driver.SetMembersAsync(instance, [members[0]], CancellationToken.None).WithTimeout();
            await Eventually.WaitAsync(async () => (await fixture.GetAsync(instance)).Status == 200, "the first server to answer");

            using var wrk = StartWrk(instance, TimeSpan.FromSeconds(15));
            await WaitForRequestsAsync(fixture, instance, [members[0].Name], wrk, "the load to reach the first server");
            await fixture.Driver.SetMembersAsync(instance, members, CancellationToken.None).WithTimeout();
            await WaitForRequestsAsync(fixture, instance, [.. members.Select(m => m.Name)], wrk, "the load to reach all three servers");
            await fixture.Driver.SetMembersAsync(instance, [members[0]], CancellationToken.None).WithTimeout();
            await WaitForRequestsAsync(fixture, instance, [members[0].Name], wrk, "the load to go on after scaling in");
            Assert.False(wrk.HasExited, "the load must still run after the scale-in");

            await wrk.WaitForExitAsync().WithTimeout(TimeSpan.FromSeconds(60));
            var report = await wrk.StandardOutput.ReadToEndAsync().WithTimeout();
            Assert.True(wrk.ExitCode == 0, report);
            Assert.Contains("requests in", report);
            Assert.False(report.Contains("Non-2xx", StringComparison.Ordinal), report + fixture.LogTail());
            Assert.False(report.Contains("Socket errors", StringComparison.Ordinal), report + fixture.LogTail());
        }
        finally
        {
            backends.ForEach(b => b.Dispose());
        }
    }

    [Fact]
    public async Task PostThatReachedTheServer_ServerClosesWithoutAnswer_IsNeverSentTwice()
    {
        await using var fixture = new ProxyFixture(DriverName);
        using var backend = StartBackend(fixture, $"{DriverName}-post-1", "127.0.0.92", out var member, out var posts);
        var instance = await fixture.StartAsync(ProxyFixture.Definition($"{DriverName}-post"));
        await fixture.Driver.SetMembersAsync(instance, [member], CancellationToken.None).WithTimeout();
        await Eventually.WaitAsync(async () => (await fixture.GetAsync(instance)).Status == 200, "the server to answer");

        int? status = null;
        try
        {
            using var response = await fixture.Client.PostAsync(instance.Url + "/once", new StringContent("order")).WithTimeout();
            status = (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            // HAProxy closes the client's connection when the server closed without answering a POST.
        }

        Assert.True(status is null or 502, $"status {status}");
        Assert.Single(File.ReadAllLines(posts));
    }

    /// <summary>
    /// wrk with a request timeout beyond both drivers' own connect budgets, so that what counts as failed is what
    /// the load balancer failed (a 5xx or a broken connection), not a slow answer.
    /// </summary>
    /// <remarks>
    /// A backlog of 1 under a CPU hog drops SYNs for seconds at a time: answers then take up to 5 s through either
    /// driver (measured under <c>stress-ng --cpu 2</c>: maxima of 2 to 5 s, in whole seconds of SYN resends), and a
    /// 5 s client timeout counted those as failures.
    /// </remarks>
    internal static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private static Process StartWrk(LoadBalancerInstance instance, TimeSpan duration) => Process.Start(new ProcessStartInfo("wrk")
    {
        ArgumentList = { "-t1", "-c4", $"-d{duration.TotalSeconds:0}s", "--timeout", $"{RequestTimeout.TotalSeconds:0}s", instance.Url + "/" },
        RedirectStandardOutput = true,
    })!;

    /// <summary>
    /// Waits until each named member has answered requests since the call (so the load runs through it now), failing
    /// when wrk ends first.
    /// </summary>
    private static async Task WaitForRequestsAsync(ProxyFixture fixture, LoadBalancerInstance instance, string[] names, Process wrk, string what)
    {
        var before = await RequestsAsync(fixture, instance);
        await Eventually.WaitAsync(
            async () =>
            {
                Assert.False(wrk.HasExited, $"wrk ended before {what}");
                var now = await RequestsAsync(fixture, instance);
                return names.All(n => now.GetValueOrDefault(n) > before.GetValueOrDefault(n) + 10);
            },
            what);
    }

    private static async Task<Dictionary<string, long>> RequestsAsync(ProxyFixture fixture, LoadBalancerInstance instance)
    {
        var stats = await fixture.Driver.GetStatsAsync(instance, CancellationToken.None).WithTimeout();
        return stats!.Members.ToDictionary(m => m.Name, m => m.Requests);
    }

    /// <summary>The backend process, killed when disposed.</summary>
    private sealed class Backend(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
        }
    }

    private static Backend StartBackend(ProxyFixture fixture, string name, string address, out Member member, out string posts)
    {
        posts = fixture.Root.Combine($"{name}.posts");
        File.WriteAllText(posts, "");
        var (process, port) = PythonBackend.Start(BackendScript, address, posts);
        member = new Member { Name = name, Address = address, Port = port };
        return new Backend(process);
    }
}

[Trait("kind", "e2e")]
[Collection(SerialLoadCollection.Name)]
public sealed class BuiltInCloseAfterResponseTests : CloseAfterResponseTests
{
    protected override string DriverName => "builtin";
}

[Trait("kind", "e2e")]
[Collection(SerialLoadCollection.Name)]
public sealed class HaProxyCloseAfterResponseTests : CloseAfterResponseTests
{
    protected override string DriverName => "haproxy";
}
