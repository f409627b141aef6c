using Strata.Common.Processes;

namespace Strata.Providers.Tests.Local;

/// <summary>Looks at live processes through /proc, as an operator would with ps.</summary>
internal static class Processes
{
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Live processes whose environment holds STRATA_MARKER=<paramref name="marker"/>.</summary>
    public static List<int> WithMarker(string marker)
    {
        var found = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid))
            {
                continue;
            }

            // Read as the provider reads it: a process caught in the middle of an exec has an empty environment.
            if (ProcessEnvironment.Contains(pid, "STRATA_MARKER", marker) && IsAlive(pid))
            {
                found.Add(pid);
            }
        }

        return found;
    }
}
