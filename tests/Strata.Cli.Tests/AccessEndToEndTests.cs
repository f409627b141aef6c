using System.Diagnostics;
using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>Tokens, roles and the audit log through the real CLI and a real background control plane.</summary>
[Trait("kind", "e2e")]
public sealed class AccessEndToEndTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Token_ViewerCreatedListedRevoked_ReadsRefusedChangesThenRefused()
    {
        await using var strata = new StrataRunner();
        Assert.Equal(0, (await strata.RunAsync(s_timeout, "server", "start", "--listen", strata.Listen)).ExitCode);

        var created = await strata.RunAsync(s_timeout, "token", "create", "dashboard", "--role", "viewer", "--expires", "30d");
        var secret = created.Out.Trim();
        var viewer = new Dictionary<string, string> { ["STRATA_TOKEN"] = secret };
        var list = await strata.RunAsync(s_timeout, "token", "list", "--json");
        var read = await strata.RunWithEnvironmentAsync(s_timeout, viewer, "status", "--json");
        var scale = await strata.RunWithEnvironmentAsync(s_timeout, viewer, "scale", "shop", "web", "2", "--no-wait");
        var revoke = await strata.RunAsync(s_timeout, "token", "revoke", "dashboard");
        var afterRevoke = await strata.RunWithEnvironmentAsync(s_timeout, viewer, "status", "--json");
        var audit = await strata.RunAsync(s_timeout, "audit", "--since", "1h", "--json");

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.StartsWith("strata_", secret);
        Assert.Contains("shown only this once", created.Error);
        var tokens = JsonDocument.Parse(list.Out).RootElement.EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("role").GetString());
        Assert.Equal("viewer", tokens["dashboard"]);
        Assert.Equal("admin", tokens["cli"]);
        Assert.DoesNotContain(secret, list.Out);
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.True(scale.ExitCode == 8, scale.ToString());
        Assert.Contains("needs the operator role; the token 'dashboard' has viewer", scale.Error);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.True(afterRevoke.ExitCode == 8, afterRevoke.ToString());
        var lines = audit.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(lines, l => l.GetProperty("token").GetString() == "dashboard" && l.GetProperty("status").GetInt32() == 403
            && l.GetProperty("route").GetString() == "/api/v1/deployments/{name}/tiers/{tier}/scale" && l.GetProperty("deployment").GetString() == "shop");
        Assert.Contains(lines, l => l.GetProperty("token").GetString() == "cli" && l.GetProperty("method").GetString() == "DELETE"
            && l.GetProperty("route").GetString() == "/api/v1/tokens/{token}" && l.GetProperty("status").GetInt32() == 204);
    }

    [Fact]
    public async Task Token_BadRole_UsageErrorNamingTheRoles()
    {
        await using var strata = new StrataRunner();

        var result = await strata.RunAsync(s_timeout, "token", "create", "x", "--role", "root");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("use viewer, operator or admin", result.Error);
    }

    [Fact]
    public async Task Start_HomeWritableByOthers_RefusedNamingTheFix()
    {
        await using var strata = new StrataRunner();
        File.SetUnixFileMode(strata.Home.Path, (UnixFileMode)0b111_111_111);

        var result = await strata.RunAsync(s_timeout, "server", "start", "--listen", strata.Listen);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"chmod 700 {strata.Home.Path}", result.Error);
        Assert.False(File.Exists(strata.Home.Combine("token")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Status_ImpostorOnTheControlPlanesPort_RefusesWithoutSendingTheToken(bool recordedPidAlive)
    {
        await using var strata = new StrataRunner();
        const string secret = "strata_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        File.WriteAllText(strata.Home.Combine("token"), secret);
        using var bystander = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
        var recordedPid = recordedPidAlive ? bystander.Id : DeadPid();
        File.WriteAllText(strata.Home.Combine("server.json"),
            $$"""{"pid":{{recordedPid}},"url":"{{strata.ControlPlane.Url}}","version":"0.1.0","home":"{{strata.Home.Path}}","startedAt":"2026-01-01T00:00:00Z"}""");
        await using var impostor = await Impostor.StartAsync(strata.ControlPlane, strata.Home.Combine("impostor-received"));
        try
        {
            var result = await strata.RunAsync(s_timeout, "status");

            Assert.True(result.ExitCode == 3, result.ToString());
            Assert.Contains(recordedPidAlive ? "refusing to send the token" : "no control plane is running", result.Error);
            Assert.DoesNotContain(secret, impostor.Received());
            Assert.DoesNotContain("Bearer", impostor.Received());
        }
        finally
        {
            bystander.Kill();
        }
    }

    private static int DeadPid()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }

    /// <summary>Another program on the control plane's port: a Python listener that answers anything and keeps what it got.</summary>
    private sealed class Impostor : IAsyncDisposable
    {
        private const string Script = """
            import socket, sys
            host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
            s = socket.socket(); s.bind((host, port)); s.listen(16)
            open(out + ".ready", "w").close()
            while True:
                c, _ = s.accept()
                data = c.recv(65536)
                with open(out, "ab") as f: f.write(data)
                c.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}')
                c.close()
            """;

        private readonly Process _process;
        private readonly string _received;

        private Impostor(Process process, string received)
        {
            _process = process;
            _received = received;
        }

        public static async Task<Impostor> StartAsync(LoopbackEndpoint endpoint, string received)
        {
            File.WriteAllText(received, "");
            var start = new ProcessStartInfo("python3") { UseShellExecute = false, ArgumentList = { "-c", Script, endpoint.Address, endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), received } };
            var impostor = new Impostor(Process.Start(start)!, received);
            await Eventually.WaitAsync(() => File.Exists(received + ".ready") || impostor._process.HasExited, "the impostor listens");
            Assert.False(impostor._process.HasExited, "the impostor could not bind the port");
            return impostor;
        }

        public string Received() => File.ReadAllText(_received);

        public async ValueTask DisposeAsync()
        {
            _process.Kill();
            await _process.WaitForExitAsync().WithTimeout();
            _process.Dispose();
        }
    }
}
