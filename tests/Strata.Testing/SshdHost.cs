using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Strata.Common.Processes;

namespace Strata.Testing;

/// <summary>
/// A test host: Debian's own <c>sshd</c> listening on one loopback address of a held <see cref="LoopbackBlock"/>, with
/// a host key and an authorized client key generated in a temporary folder, letting in the user that runs the tests.
/// Dispose it to stop it; <see cref="PowerOff"/> kills it with every session and command it runs, as a machine losing
/// power would.
/// </summary>
public sealed class SshdHost : IDisposable
{
    /// <summary>The port every test host listens on: its address alone is its own, so any fixed port is free on it.</summary>
    public const int Port = 2222;

    private const string Sshd = "/usr/sbin/sshd";
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(20);

    private readonly TemporaryDirectory _folder;
    private readonly StringBuilder _log = new();
    private readonly List<(int Pid, long? StartTime)> _survivors = [];
    private Process? _sshd;
    private bool _sftp = true;

    private SshdHost(string address, TemporaryDirectory folder)
    {
        Address = address;
        _folder = folder;
    }

    /// <summary>The host's loopback address, e.g. <c>127.B.0.1</c>.</summary>
    public string Address { get; }

    /// <summary>
    /// The <c>dotnet</c> running these tests, to run the agent with on a test host: a login's PATH (sshd's default) need
    /// not hold the one a developer or CI installed.
    /// </summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : Environment.ProcessPath!;

    /// <summary>The user the host lets in: the one running the tests.</summary>
    public static string User => Environment.UserName;

    /// <summary>The private key the host authorizes (OpenSSH format, no passphrase).</summary>
    public string IdentityFile => Path.Combine(_folder.Path, "id_ed25519");

    /// <summary>A private key the host does not authorize.</summary>
    public string UnauthorizedIdentityFile => Path.Combine(_folder.Path, "id_other");

    /// <summary><c>USER@ADDRESS:PORT</c>, as <c>strata host add --ssh</c> takes it.</summary>
    public string SshTarget => string.Create(CultureInfo.InvariantCulture, $"{User}@{Address}:{Port}");

    /// <summary>The SHA-256 fingerprint of the host key, as <c>ssh-keygen -l</c> prints it (<c>SHA256:…</c>).</summary>
    public string HostKeyFingerprint { get; private set; } = "";

    /// <summary>What sshd has logged so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Generates the keys and starts sshd on <c>127.{block}.0.{index}</c>; returns once it accepts connections.</summary>
    public static async Task<SshdHost> StartAsync(LoopbackBlock block, int index)
    {
        var host = new SshdHost(string.Create(CultureInfo.InvariantCulture, $"127.{block.Octet}.0.{index}"), new TemporaryDirectory());
        try
        {
            await KeyGenAsync(Path.Combine(host._folder.Path, "host_key")).ConfigureAwait(false);
            await KeyGenAsync(host.IdentityFile).ConfigureAwait(false);
            await KeyGenAsync(host.UnauthorizedIdentityFile).ConfigureAwait(false);
            File.Copy(host.IdentityFile + ".pub", Path.Combine(host._folder.Path, "authorized_keys"));
            await host.StartAsync().ConfigureAwait(false);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Stops sshd, gives the host a new host key and starts it again: what a reinstalled (or impersonated) host looks like.</summary>
    public async Task ReplaceHostKeyAsync()
    {
        PowerOff();
        var key = Path.Combine(_folder.Path, "host_key");
        File.Delete(key);
        File.Delete(key + ".pub");
        await KeyGenAsync(key).ConfigureAwait(false);
        await StartAsync().ConfigureAwait(false);
    }

    /// <summary>Starts sshd again after <see cref="PowerOff"/>, with the same host key: the host coming back.</summary>
    public Task PowerOnAsync() => _sshd is null ? StartAsync() : throw new InvalidOperationException($"sshd on {Address} runs already");

    /// <summary>Kills sshd, its sessions and every process they started with SIGKILL, and waits until none is left.</summary>
    public void PowerOff()
    {
        if (_sshd is not { } sshd)
        {
            return;
        }

        var tree = Descendants(sshd.Id).Prepend(sshd.Id).ToList();
        foreach (var pid in tree)
        {
            ProcessSignals.Send(pid, 9);
        }

        sshd.WaitForExit();
        sshd.Dispose();
        _sshd = null;
        var deadline = DateTime.UtcNow + s_startTimeout;
        while (tree.Any(pid => ProcessStat.Read(pid) is { IsAlive: true }) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
    }

    /// <summary>
    /// Kills sshd, its sessions and the commands they run (the agent) with SIGKILL, but not the processes those
    /// started in sessions of their own (the servers): a host cut off from the network that keeps running. They are
    /// killed on <see cref="Dispose"/> if still alive.
    /// </summary>
    public void CutOff()
    {
        if (_sshd is not { } sshd)
        {
            return;
        }

        var tree = Descendants(sshd.Id).ToList();
        var daemons = tree.Where(pid => CommandName(pid).StartsWith("sshd", StringComparison.Ordinal)).Prepend(sshd.Id).ToHashSet();
        var sessions = tree.Where(pid => !daemons.Contains(pid) && ProcessStat.Read(pid) is { } stat && daemons.Contains(stat.ParentId)).ToHashSet();
        _survivors.AddRange(tree.Where(pid => !daemons.Contains(pid) && !sessions.Contains(pid)).Select(pid => (pid, ProcessStat.Read(pid)?.StartTime)));
        foreach (var pid in daemons.Concat(sessions))
        {
            ProcessSignals.Send(pid, 9);
        }

        sshd.WaitForExit();
        sshd.Dispose();
        _sshd = null;
    }

    public void Dispose()
    {
        PowerOff();
        foreach (var (pid, started) in _survivors)
        {
            if (ProcessStat.Read(pid) is { IsAlive: true } stat && stat.StartTime == started)
            {
                ProcessSignals.Send(pid, 9);
            }
        }

        _folder.Dispose();
    }

    private static string CommandName(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Stops sshd and starts it again without its SFTP subsystem, as some hardened hosts run it.</summary>
    public async Task WithoutSftpAsync()
    {
        PowerOff();
        _sftp = false;
        await StartAsync().ConfigureAwait(false);
    }

    private async Task StartAsync()
    {
        // sshd, run as root, insists on its privilege separation folder; a system that never started its own lacks it.
        if (Environment.UserName == "root")
        {
            Directory.CreateDirectory("/run/sshd");
        }

        var config = Path.Combine(_folder.Path, "sshd_config");
        File.WriteAllText(config, Config());
        HostKeyFingerprint = await FingerprintAsync(Path.Combine(_folder.Path, "host_key.pub")).ConfigureAwait(false);
        var start = new ProcessStartInfo(Sshd) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-D", "-e", "-f", config })
        {
            start.ArgumentList.Add(argument);
        }

        var sshd = Process.Start(start) ?? throw new InvalidOperationException($"{Sshd} did not start");
        sshd.ErrorDataReceived += (_, e) => Append(e.Data);
        sshd.OutputDataReceived += (_, e) => Append(e.Data);
        sshd.BeginErrorReadLine();
        sshd.BeginOutputReadLine();
        _sshd = sshd;
        await WaitUntilListeningAsync(sshd).ConfigureAwait(false);
    }

    private string Config()
    {
        var folder = _folder.Path;
        return string.Join('\n',
            $"ListenAddress {Address}:{Port}",
            $"HostKey {folder}/host_key",
            $"PidFile {folder}/sshd.pid",
            $"AuthorizedKeysFile {folder}/authorized_keys",
            $"AllowUsers {User}",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            // PAM would want a system service configuration; the temporary folder's modes are not what StrictModes wants.
            "UsePAM no",
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            _sftp ? "Subsystem sftp internal-sftp" : "",
            "LogLevel VERBOSE",
            "");
    }

    private async Task WaitUntilListeningAsync(Process sshd)
    {
        var deadline = DateTime.UtcNow + s_startTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (sshd.HasExited)
            {
                throw new InvalidOperationException($"sshd on {Address}:{Port} exited with {sshd.ExitCode}:\n{Log}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(Address, Port).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"sshd on {Address}:{Port} did not listen within {s_startTimeout.TotalSeconds}s:\n{Log}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private static IEnumerable<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ProcessStat.Read(pid) is { } stat)
            {
                parents[pid] = stat.ParentId;
            }
        }

        var found = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.TryDequeue(out var parent))
        {
            foreach (var child in parents.Where(p => p.Value == parent).Select(p => p.Key))
            {
                found.Add(child);
                frontier.Enqueue(child);
            }
        }

        return found;
    }

    private static async Task KeyGenAsync(string path)
    {
        var output = await RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "strata-test", "-f", path).ConfigureAwait(false);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"ssh-keygen wrote no key to {path}: {output}");
        }
    }

    private static async Task<string> FingerprintAsync(string publicKey)
    {
        // "256 SHA256:abc… comment (ED25519)"
        var output = await RunAsync("ssh-keygen", "-l", "-E", "sha256", "-f", publicKey).ConfigureAwait(false);
        return output.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var fingerprint, ..] && fingerprint.StartsWith("SHA256:", StringComparison.Ordinal)
            ? fingerprint
            : throw new InvalidOperationException($"ssh-keygen -l printed no fingerprint: {output}");
    }

    private static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(s_startTimeout).ConfigureAwait(false);
        return process.ExitCode == 0
            ? await output.ConfigureAwait(false)
            : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error.ConfigureAwait(false)}");
    }
}
