using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Strata.Testing;

namespace Strata.Storage.Tests.S3;

/// <summary>
/// A real S3-compatible server (s3rver from npm) on a free loopback port, with one bucket, in a temporary folder.
/// Found through <c>STRATA_S3RVER</c>, then <c>PATH</c>, then <c>&lt;repo&gt;/.tools/node_modules/.bin/s3rver</c>.
/// </summary>
public sealed class S3rverProcess : IAsyncLifetime
{
    public const string EnvironmentVariable = "STRATA_S3RVER";
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    public const string BucketName = "strata-test";

    private readonly TemporaryDirectory _data = new("strata-s3rver");
    private Process? _process;

    public int Port { get; private set; }

    public string ServiceUrl => $"http://127.0.0.1:{Port}";

    /// <summary>Options for a store in the bucket, under a prefix of its own so that tests do not see each other.</summary>
    public S3ObjectStoreOptions Options(string? prefix = null) => new()
    {
        ServiceUrl = ServiceUrl,
        Bucket = BucketName,
        Prefix = prefix ?? $"t-{Guid.NewGuid():N}/",
        AccessKey = AccessKey,
        SecretKey = SecretKey,
        PartSize = 5 * 1024 * 1024,
        // Small pages so that every listing in the tests pages through several requests.
        ListPageSize = 7,
        MaxRetryAttempts = 2,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        RetryMaxDelay = TimeSpan.FromMilliseconds(50),
    };

    public async Task InitializeAsync()
    {
        var executable = Locate();
        Port = LoopbackPorts.GetFree();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // s3rver makes listing continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider; without
        // it every listing that needs a second page fails with an internal error.
        start.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        foreach (var argument in new[] { "-d", _data.Path, "-a", "127.0.0.1", "-p", Port.ToString(), "--configure-bucket", BucketName, "--silent" })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Eventually.WaitAsync(BucketAnswersAsync, $"s3rver to answer on {ServiceUrl}", TimeSpan.FromSeconds(30));
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process?.Dispose();
        _data.Dispose();
        return Task.CompletedTask;
    }

    private async Task<bool> BucketAnswersAsync()
    {
        if (_process!.HasExited)
        {
            throw new InvalidOperationException($"s3rver exited with code {_process.ExitCode} before answering");
        }

        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Port);
        using var store = (IDisposable)ObjectStores.CreateS3(Options("probe/"));
        await foreach (var _ in ((IObjectStore)store).ListAsync("", CancellationToken.None))
        {
        }

        return true;
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
        var repoRoot = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(sourceFile)!, "..", "..", ".."));
        var inRepo = Path.Combine(repoRoot, ".tools", "node_modules", ".bin", "s3rver");
        return onPath ?? (File.Exists(inRepo)
            ? inRepo
            : throw new InvalidOperationException(
                "s3rver (an S3-compatible server) is needed by these tests and was not found. Install it with " +
                $"`npm install --prefix {Path.Combine(repoRoot, ".tools")} s3rver@3.7.1`, put it on PATH, or set " +
                $"{EnvironmentVariable} to the path of its bin/s3rver."));
    }
}
