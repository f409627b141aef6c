using Strata.LoadBalancing.Proxy;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// The proxy process is started straight from <c>Main</c>: every way it ends is an exit code, never an unhandled
/// exception (which would abort the process and leave a stack frame as the last line the driver reads).
/// </summary>
[Trait("kind", "unit")]
public sealed class ProxyProgramTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new("strata-proxy-program");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task RunAsync_StoppedWhileStarting_ExitsAsAStop()
    {
        var config = _folder.Combine("proxy.json");
        await File.WriteAllTextAsync(config, """
            {
              "id": "shop-front-abc123", "listenHost": "127.0.0.1", "listenPort": 0, "adminHost": "127.0.0.1", "adminPort": 0,
              "adminToken": "0123456789abcdef0123", "algorithm": "RoundRobin", "drainTimeout": "00:00:01", "connectTimeout": "00:00:05",
              "passiveHealthFailures": 3, "maxConnections": 100, "responseHeaderTimeout": "00:01:00", "tunnelTimeout": "01:00:00",
              "backendProtocol": "Http1", "maxRequestBodyBytes": 1048576, "members": []
            }
            """).WithTimeout();
        using var stopped = new CancellationTokenSource();
        await stopped.CancelAsync();

        var exit = await ProxyProgram.RunAsync(config, stopped.Token).WithTimeout();

        Assert.Equal(ProxyExitCodes.Ok, exit);
    }

    [Theory]
    [InlineData("")]
    [InlineData("missing.json")]
    public async Task RunAsync_NoConfig_IsAnInvalidConfig(string name)
    {
        var path = name.Length == 0 ? name : _folder.Combine(name);

        var exit = await ProxyProgram.RunAsync(path, CancellationToken.None).WithTimeout();

        Assert.Equal(ProxyExitCodes.InvalidConfig, exit);
    }
}
