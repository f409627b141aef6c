using Strata.Testing;

namespace Strata.Providers.Tests.Local;

[Trait("kind", "e2e")]
public sealed class LogTests : IAsyncLifetime
{
    private readonly LocalProviderHarness _harness = new(o =>
    {
        o.LogMaxBytes = 1000;
        o.LogFilesKept = 2;
    });

    private MachineImage _image = null!;

    public async Task InitializeAsync() => _image = await _harness.RegisterImageAsync(("a.txt", "a"));

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task ReadLogTailAsync_ManyLines_ReturnsLastOnes()
    {
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo line $i; done; exec sleep 1000"));
        await Eventually.WaitAsync(async () =>
            (await _harness.Provider.ReadLogTailAsync(server.Id, 1, CancellationToken.None)).SequenceEqual(["line 3000"]), "all lines written");

        var tail = await _harness.Provider.ReadLogTailAsync(server.Id, 3, CancellationToken.None).WithTimeout();

        Assert.Equal(["line 2998", "line 2999", "line 3000"], tail);
    }

    [Fact]
    public async Task ReadLogTailAsync_HundredMegabytesWithoutALineBreak_ReadsAtMostTheTailCap()
    {
        const long written = 100L * 1024 * 1024;
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, $"head -c {written} /dev/zero | tr '\\0' x; echo; echo last; exec sleep 1000"));
        await Eventually.WaitAsync(() => new FileInfo(server.LogPath).Length == written + "\nlast\n".Length, "the 100 MB line to be written", TimeSpan.FromSeconds(60));

        var tail = await _harness.Provider.ReadLogTailAsync(server.Id, 2, CancellationToken.None).WithTimeout(TimeSpan.FromSeconds(10));

        Assert.Equal("last", tail[^1]);
        Assert.Equal(2, tail.Count);
        Assert.InRange(tail[0].Length, 1, 1024 * 1024);
        Assert.True(tail[0].All(c => c == 'x'), "the tail of the long line");
    }

    [Fact]
    public async Task RotateLogsAsync_LogOverLimit_RotatesKeepsLimitedFilesAndServerKeepsWriting()
    {
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "i=0; while :; do i=$((i+1)); echo \"line $i\"; sleep 0.01; done"));

        var rotatedFirstLines = new List<int>();
        for (var round = 0; round < 3; round++)
        {
            await Eventually.WaitAsync(() => new FileInfo(server.LogPath).Length > 1000, "the log to grow past its limit");
            await _harness.Provider.RotateLogsAsync(CancellationToken.None).WithTimeout();
            rotatedFirstLines.Add(FirstLineNumber(server.LogPath + ".1"));
        }

        await Eventually.WaitAsync(() => new FileInfo(server.LogPath).Length > 0, "the server to write after rotation");
        Assert.False(File.Exists(server.LogPath + ".3"));
        Assert.Equal(rotatedFirstLines[1], FirstLineNumber(server.LogPath + ".2"));
        Assert.True(rotatedFirstLines[0] < rotatedFirstLines[1] && rotatedFirstLines[1] < rotatedFirstLines[2]);
        // Append mode: after the truncation the server writes from the start, not after a hole of zero bytes.
        Assert.StartsWith("line ", File.ReadAllText(server.LogPath));
        Assert.True(FirstLineNumber(server.LogPath) > rotatedFirstLines[2]);
    }

    private static int FirstLineNumber(string path) => int.Parse(File.ReadLines(path).First().Split(' ')[1]);

    [Fact]
    public async Task FollowLogAsync_NewLinesAndRotation_YieldsEveryLineInOrder()
    {
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "echo first; exec sleep 1000"));
        await Eventually.WaitAsync(async () => (await _harness.Provider.ReadLogTailAsync(server.Id, 1, CancellationToken.None)).Count == 1, "the first line");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var follower = Task.Run(async () =>
        {
            await foreach (var line in _harness.Provider.FollowLogAsync(server.Id, 10, stop.Token))
            {
                seen.Enqueue(line);
                if (line == "third")
                {
                    return;
                }
            }
        });

        await Eventually.WaitAsync(() => seen.Contains("first"), "the tail to be replayed");
        File.AppendAllText(server.LogPath, "second\n" + new string('x', 1200) + "\n");
        await Eventually.WaitAsync(() => seen.Contains("second"), "the appended line");
        await _harness.Provider.RotateLogsAsync(CancellationToken.None).WithTimeout();
        File.AppendAllText(server.LogPath, "third\n");
        await follower.WithTimeout();

        Assert.Equal(["first", "second", new string('x', 1200), "third"], seen);
    }
}
