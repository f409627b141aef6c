using System.Globalization;
using Strata.Api.Contracts.Agent;

namespace Strata.Agent;

/// <summary>What the host has, measured where the agent runs.</summary>
internal static class HostMeasurements
{
    public static string Version { get; } = typeof(HostMeasurements).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static AgentHello Hello(string folder)
    {
        Directory.CreateDirectory(folder);
        var drive = new DriveInfo(Path.GetFullPath(folder));
        return new AgentHello
        {
            Version = Version,
            Build = AgentBundle.RunningBuild(),
            Hostname = Environment.MachineName,
            Cores = Environment.ProcessorCount,
            BootId = BootId(),
            MemoryBytes = MemTotal(File.ReadAllText("/proc/meminfo")),
            DiskBytes = drive.TotalSize,
            DiskFreeBytes = drive.AvailableFreeSpace,
        };
    }

    private static string? BootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim() is { Length: > 0 } id ? id : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A kernel without it: the host's cores count as its own.
            return null;
        }
    }

    /// <summary>The <c>MemTotal</c> line of <c>/proc/meminfo</c> (<c>MemTotal:  16318412 kB</c>), in bytes.</summary>
    public static long MemTotal(string meminfo)
    {
        foreach (var line in meminfo.Split('\n'))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal)
                && line["MemTotal:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var number, "kB"]
                && long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var kib))
            {
                return kib * 1024;
            }
        }

        throw new InvalidDataException("/proc/meminfo has no MemTotal line in kB");
    }
}
