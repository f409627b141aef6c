using System.Globalization;
using Strata.Common.Processes;

namespace Strata.Providers.Local;

/// <summary>Reads process facts from <c>/proc</c>, which is how servers are recognised after a restart.</summary>
internal static class ProcFs
{
    /// <summary>
    /// True when the process's working directory, root or (with <paramref name="openFiles"/>) an open file lies inside
    /// one of <paramref name="folders"/> (full paths with symbolic links resolved, as the kernel reports them).
    /// </summary>
    public static bool Uses(int pid, IReadOnlyList<string> folders, bool openFiles = true)
    {
        try
        {
            IEnumerable<string> links = [$"/proc/{pid}/cwd", $"/proc/{pid}/root"];
            if (openFiles)
            {
                links = links.Concat(Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"));
            }

            return links.Select(ReadLink).OfType<string>().Any(target => folders.Any(f => IsInside(target, f)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process ended while it was read, or belongs to someone else (whose files we could not open either).
            return false;
        }
    }

    private static string? ReadLink(string link)
    {
        try
        {
            return new FileInfo(link).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsInside(string path, string folder) =>
        path == folder || path.StartsWith(folder.EndsWith('/') ? folder : folder + "/", StringComparison.Ordinal);

    public static IEnumerable<int> Pids()
    {
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }
}
