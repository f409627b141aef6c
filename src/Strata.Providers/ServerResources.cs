using System.Globalization;

namespace Strata.Providers;

/// <summary>
/// What a server reserves on the host it runs on, from its tier's <c>resources</c>: placement never puts more on a host
/// than the cores and memory its agent measured. Providers without hosts accept it and do not use it.
/// </summary>
/// <param name="Cpu">CPU cores, a fraction allowed; 0 reserves none.</param>
/// <param name="MemoryBytes">Memory in bytes; 0 reserves none.</param>
public sealed record ServerResources(double Cpu, long MemoryBytes)
{
    /// <summary>Reserves nothing: a tier that says no <c>resources</c>.</summary>
    public static ServerResources None { get; } = new(0, 0);

    public bool IsNone => Cpu <= 0 && MemoryBytes <= 0;

    /// <summary>E.g. <c>0.5 CPU, 256 MiB memory</c>; only what is reserved.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Cpu > 0)
        {
            parts.Add($"{FormatCores(Cpu)} CPU");
        }

        if (MemoryBytes > 0)
        {
            parts.Add($"{FormatBytes(MemoryBytes)} memory");
        }

        return parts.Count == 0 ? "nothing" : string.Join(", ", parts);
    }

    /// <summary>Cores as an operator reads them: <c>0.5</c>, <c>2</c>, <c>1.25</c>.</summary>
    public static string FormatCores(double cores) => Math.Round(cores, 3).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Bytes in binary units: <c>256 MiB</c>, <c>3.8 GiB</c>.</summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var value = (double)bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return $"{value.ToString(unit == 0 ? "0" : "0.#", CultureInfo.InvariantCulture)} {units[unit]}";
    }
}
