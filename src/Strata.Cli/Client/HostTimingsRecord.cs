using System.Text;
using Strata.Common.Files;
using Strata.ControlPlane.Hosting;
using Strata.Providers.Hosts.Fleet;
using Strata.Spec.Grammar;

namespace Strata.Cli.Client;

/// <summary>
/// The operator's host timings (<c>--host-timeout</c>, <c>--host-lost-after</c>), kept in <c>$STRATA_HOME/host-timings</c>
/// like the listen address, so that a control plane started again by any command (after a crash, a reboot or a
/// <c>strata server stop</c>) judges hosts as the operator asked.
/// </summary>
public static class HostTimingsRecord
{
    private const string TimeoutKey = "hostTimeout";
    private const string LostAfterKey = "hostLostAfter";

    public static string PathOf(StrataPaths paths) => Path.Combine(paths.Root, "host-timings");

    /// <summary>The recorded timings; null for each one not recorded (the fleet's default applies).</summary>
    public static (TimeSpan? Timeout, TimeSpan? LostAfter) Read(StrataPaths paths)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(PathOf(paths));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return (null, null);
        }

        var values = lines.Select(l => l.Split(' ', 2, StringSplitOptions.TrimEntries)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => SpecValues.TryParseDuration(p[1], out var d) ? d : (TimeSpan?)null, StringComparer.Ordinal);
        return (values.GetValueOrDefault(TimeoutKey), values.GetValueOrDefault(LostAfterKey));
    }

    public static void Write(StrataPaths paths, TimeSpan? timeout, TimeSpan? lostAfter)
    {
        var text = new StringBuilder();
        if (timeout is { } t)
        {
            text.Append(TimeoutKey).Append(' ').Append(SpecValues.FormatDuration(t)).Append('\n');
        }

        if (lostAfter is { } l)
        {
            text.Append(LostAfterKey).Append(' ').Append(SpecValues.FormatDuration(l)).Append('\n');
        }

        AtomicFile.Write(PathOf(paths), Encoding.UTF8.GetBytes(text.ToString()), AtomicFileOptions.OwnerOnly);
    }

    /// <summary>Every problem with the timings as the fleet would take them (with its defaults for the rest); empty when valid.</summary>
    public static IReadOnlyList<string> Problems(TimeSpan? timeout, TimeSpan? lostAfter)
    {
        var hosts = new HostsOptions { KnownHostsPath = "known_hosts" };
        hosts.HostTimeout = timeout ?? hosts.HostTimeout;
        hosts.HostLostAfter = lostAfter ?? hosts.HostLostAfter;
        return hosts.Validate();
    }
}
