using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using Xunit;

namespace Strata.Testing;

/// <summary>
/// A real S3-compatible server (s3rver from npm) on a free loopback port, with one bucket, in a temporary folder;
/// started by <see cref="InitializeAsync"/> (or <see cref="StartAsync"/>) and stopped, its data deleted, on dispose.
/// Found through <c>STRATA_S3RVER</c>, then <c>PATH</c>, then <c>&lt;repo&gt;/.tools/node_modules/.bin/s3rver</c>.
/// </summary>
public sealed class S3rverProcess : IAsyncLifetime, IAsyncDisposable
{
    public const string EnvironmentVariable = "STRATA_S3RVER";
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    public const string BucketName = "strata-test";
    public const string Region = "us-east-1";

    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(10);

    private readonly TemporaryDirectory _data = new("strata-s3rver");
    private readonly TemporaryDirectory _preload = new("strata-s3rver-preload");
    private Process? _process;

    /// <summary>Where the server listens: an address of its own, so that no other test can take its port.</summary>
    public LoopbackEndpoint Endpoint { get; private set; }

    public int Port => Endpoint.Port;

    public string ServiceUrl => Endpoint.Url;

    /// <summary>Starts a server and waits until its bucket answers.</summary>
    /// <param name="endpoint">An endpoint reserved beforehand, e.g. for a store that was unreachable until now; a new one when null.</param>
    public static async Task<S3rverProcess> StartAsync(LoopbackEndpoint? endpoint = null)
    {
        var server = new S3rverProcess { Endpoint = endpoint ?? default };
        try
        {
            await server.InitializeAsync().ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task InitializeAsync()
    {
        var executable = Locate();
        Endpoint = Endpoint == default ? LoopbackPorts.Reserve() : Endpoint;
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // s3rver makes listing continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider; without
        // it every listing that needs a second page fails with an internal error.
        start.Environment["NODE_OPTIONS"] = $"--openssl-legacy-provider --require {WriteDurablePutPreload(executable)}";
        foreach (var argument in new[] { "-d", _data.Path, "-a", Endpoint.Address, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--configure-bucket", BucketName, "--silent" })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.WaitAsync(() => BucketAnswersAsync(http), $"s3rver to answer on {ServiceUrl}", s_startTimeout).ConfigureAwait(false);
    }

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            using var stopping = new CancellationTokenSource(s_stopTimeout);
            await _process.WaitForExitAsync(stopping.Token).ConfigureAwait(false);
        }

        _process?.Dispose();
        _process = null;
        _data.Dispose();
        _preload.Dispose();
    }

    /// <summary>The keys in the bucket under a prefix, read with an anonymous listing (first 1000 only).</summary>
    public async Task<IReadOnlyList<string>> ListKeysAsync(string prefix, CancellationToken ct = default)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var xml = await http.GetStringAsync(new Uri($"{ServiceUrl}/{BucketName}?prefix={Uri.EscapeDataString(prefix)}"), ct).ConfigureAwait(false);
        var document = System.Xml.Linq.XDocument.Parse(xml);
        return [.. document.Descendants().Where(e => e.Name.LocalName == "Key").Select(e => e.Value)];
    }

    private async Task<bool> BucketAnswersAsync(HttpClient http)
    {
        if (_process!.HasExited)
        {
            throw new InvalidOperationException($"s3rver exited with code {_process.ExitCode} before answering");
        }

        // s3rver serves anonymous requests; the bucket's listing answers once the bucket has been configured.
        using var response = await http.GetAsync(new Uri($"{ServiceUrl}/{BucketName}?max-keys=1")).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.OK;
    }

    /// <summary>
    /// s3rver 3.7.1's filesystem store acknowledges a PUT before its write stream has opened and filled the object's
    /// file, so a GET at once may find no object or a short one; S3 returns what it acknowledged. A preload makes
    /// each PUT wait until the file holds every byte, so a test that reads back at once sees what S3 would.
    /// </summary>
    private string WriteDurablePutPreload(string executable)
    {
        var script = new FileInfo(executable).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? executable;
        var store = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(script)!, "..", "lib", "stores", "filesystem.js"));
        if (!File.Exists(store))
        {
            throw new InvalidOperationException($"s3rver at {executable} has no {store}; these tests expect s3rver 3.7.1");
        }

        var preload = _preload.Combine("durable-put.js");
        File.WriteAllText(preload, $$"""
            const fs = require("fs");
            const Store = require({{System.Text.Json.JsonSerializer.Serialize(store)}});
            const put = Store.prototype.putObject;
            Store.prototype.putObject = async function (object) {
              const result = await put.call(this, object);
              const file = this.getResourcePath(object.bucket, object.key, "object");
              for (let i = 0; i < 2000; i++) {
                try { if (fs.statSync(file).size === result.size) return result; } catch (e) { if (e.code !== "ENOENT") throw e; }
                await new Promise(r => setTimeout(r, 5));
              }
              throw new Error("s3rver did not finish writing " + file);
            };
            """);
        return preload;
    }

    private static string Locate([CallerFilePath] string sourceFile = "")
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{EnvironmentVariable} is set to '{configured}', which does not exist");
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "s3rver"))
            .FirstOrDefault(File.Exists);
        var repoRoot = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(sourceFile)!, "..", ".."));
        var inRepo = Path.Combine(repoRoot, ".tools", "node_modules", ".bin", "s3rver");
        return onPath ?? (File.Exists(inRepo)
            ? inRepo
            : throw new InvalidOperationException(
                "s3rver (an S3-compatible server) is needed by these tests and was not found. Install it with " +
                $"`npm install --prefix {Path.Combine(repoRoot, ".tools")} s3rver@3.7.1`, put it on PATH, or set " +
                $"{EnvironmentVariable} to the path of its bin/s3rver."));
    }
}
