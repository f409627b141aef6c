using System.Net;
using Strata.Storage;

namespace Strata.Providers.Local;

/// <summary>Options of the local provider, whose servers are processes on this machine, each on its own loopback address.</summary>
public sealed class LocalProviderOptions
{
    /// <summary>The folder holding image caches, servers, volumes and the address cursor.</summary>
    /// <value>The default is <c>$STRATA_HOME/local</c> (<c>~/.strata/local</c> when <c>STRATA_HOME</c> is unset).</value>
    public string RootPath { get; set; } = Path.Combine(StrataHome.Resolve(), "local");

    /// <summary>The first address servers may get.</summary>
    /// <value>The default is <c>127.1.0.1</c>. Addresses in 127.0.0.0/24 are refused: they belong to the machine itself.</value>
    public string AddressRangeStart { get; set; } = "127.1.0.1";

    /// <summary>The last address servers may get.</summary>
    /// <value>The default is <c>127.1.255.254</c>.</value>
    public string AddressRangeEnd { get; set; } = "127.1.255.254";

    /// <summary>
    /// One address every server gets instead of one of the loopback range: a host's own address, where a host's agent
    /// runs this engine. Servers on it are told apart by their ports.
    /// </summary>
    /// <value>The default is null: each server gets its own address from the range.</value>
    public string? SharedAddress { get; set; }

    /// <summary>The zones servers are spread across.</summary>
    /// <value>The default is <c>local-a</c>, <c>local-b</c>, <c>local-c</c>.</value>
    public IList<string> Zones { get; set; } = ["local-a", "local-b", "local-c"];

    /// <summary>How long a terminated server gets between SIGTERM and SIGKILL when the caller does not say.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan TerminateGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a launch waits after starting the run command, so that a command that exits within it fails the launch
    /// itself. Zero returns as soon as the process is started; a later exit is then reported through
    /// <see cref="ICloudProvider.ServerStopped"/> and the next listing, which the control plane turns into a failed
    /// server with the log's last lines, without holding up every launch.
    /// </summary>
    /// <value>The default is zero.</value>
    public TimeSpan StartupWindow { get; set; } = TimeSpan.Zero;

    /// <summary>How long a configure hook may run before it is killed and the launch fails.</summary>
    /// <value>The default is 5 minutes.</value>
    public TimeSpan ConfigureTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A server log larger than this is rotated by <see cref="ICloudProvider.RotateLogsAsync"/>.</summary>
    /// <value>The default is 10 MiB.</value>
    public long LogMaxBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>How many rotated log files (<c>server.log.1</c> …) are kept.</summary>
    /// <value>The default is 3.</value>
    public int LogFilesKept { get; set; } = 3;

    /// <summary>How often followers of a log look for new lines, and terminate checks whether processes are gone.</summary>
    /// <value>The default is 50 milliseconds.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Variables of the control plane's environment that servers inherit; everything else starts clean, as on a new machine.</summary>
    /// <value>The default is <c>PATH</c>, <c>HOME</c>, <c>USER</c>, <c>LOGNAME</c>, <c>LANG</c>, <c>LC_ALL</c>, <c>TZ</c>, <c>TMPDIR</c>.</value>
    public IList<string> InheritedEnvironment { get; set; } = [.. ChildEnvironment.DefaultInherited];

    /// <summary>Returns every problem with these options (empty when they are valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(RootPath))
        {
            errors.Add("RootPath must be set");
        }

        if (SharedAddress is not null && !HostAddress.IsValid(SharedAddress))
        {
            errors.Add($"SharedAddress '{SharedAddress}' is not an IPv4 address");
        }

        var start = ParseLoopback(AddressRangeStart, nameof(AddressRangeStart), errors);
        var end = ParseLoopback(AddressRangeEnd, nameof(AddressRangeEnd), errors);
        if (start is not null && end is not null && start > end)
        {
            errors.Add($"AddressRangeStart {AddressRangeStart} is after AddressRangeEnd {AddressRangeEnd}");
        }

        if (Zones is null || Zones.Count == 0 || Zones.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("Zones must list at least one non-empty zone");
        }
        else if (Zones.Distinct(StringComparer.Ordinal).Count() != Zones.Count)
        {
            errors.Add("Zones must not repeat a zone");
        }

        AddIfNotPositive(TerminateGrace, nameof(TerminateGrace), errors);
        if (StartupWindow < TimeSpan.Zero)
        {
            errors.Add($"{nameof(StartupWindow)} must not be negative");
        }

        AddIfNotPositive(ConfigureTimeout, nameof(ConfigureTimeout), errors);
        AddIfNotPositive(PollInterval, nameof(PollInterval), errors);
        if (LogMaxBytes <= 0)
        {
            errors.Add("LogMaxBytes must be positive");
        }

        if (LogFilesKept < 1)
        {
            errors.Add("LogFilesKept must be at least 1");
        }

        return errors;
    }

    internal static uint? ParseLoopback(string? text, string name, List<string> errors)
    {
        if (!IPAddress.TryParse(text ?? "", out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            errors.Add($"{name} '{text}' is not an IPv4 address");
            return null;
        }

        var bytes = address.GetAddressBytes();
        var value = ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
        if (bytes[0] != 127)
        {
            errors.Add($"{name} {text} is not a loopback address (127.0.0.0/8)");
            return null;
        }

        if (bytes[1] == 0 && bytes[2] == 0)
        {
            errors.Add($"{name} {text} is in 127.0.0.0/24, which is reserved for the machine itself");
            return null;
        }

        return value;
    }

    private static void AddIfNotPositive(TimeSpan value, string name, List<string> errors)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{name} must be positive");
        }
    }
}
