using System.Globalization;
using System.Net;
using System.Text;
using Strata.Common.Files;

namespace Strata.Providers.Local;

/// <summary>
/// Hands out loopback addresses the way a cloud hands out IPs: never one in use, and a new one on every launch
/// (a persisted cursor walks the range, so addresses are reused only after the whole range has been used).
/// </summary>
internal sealed class AddressPool : IServerAddresses
{
    private readonly object _gate = new();
    private readonly uint _first;
    private readonly uint _last;
    private readonly string _cursorPath;
    private readonly HashSet<uint> _inUse;
    private uint _cursor;

    /// <param name="first">The first address of the range.</param>
    /// <param name="last">The last address of the range.</param>
    /// <param name="cursorPath">The file the cursor is persisted in.</param>
    /// <param name="inUse">Addresses held by existing servers.</param>
    public AddressPool(uint first, uint last, string cursorPath, IEnumerable<string> inUse)
    {
        _first = first;
        _last = last;
        _cursorPath = cursorPath;
        _inUse = [.. inUse.Select(ToNumber)];
        _cursor = ReadCursor() is { } saved && saved >= first && saved <= last ? saved : first;
    }

    /// <summary>How many addresses the range can hand out.</summary>
    public int Capacity => (int)Math.Min(int.MaxValue, CountUsable());

    public string Allocate()
    {
        lock (_gate)
        {
            var candidate = _cursor;
            for (long tried = 0; tried <= _last - _first; tried++)
            {
                if (IsUsable(candidate) && _inUse.Add(candidate))
                {
                    _cursor = candidate == _last ? _first : candidate + 1;
                    AtomicFile.Write(_cursorPath, Encoding.ASCII.GetBytes(ToText(_cursor)), RecordWrites.Readable);
                    return ToText(candidate);
                }

                candidate = candidate == _last ? _first : candidate + 1;
            }
        }

        throw new ProviderException($"no free loopback address left in {ToText(_first)}–{ToText(_last)}; terminate servers or widen the range");
    }

    /// <summary>Marks an address as taken, for a server that already holds it.</summary>
    public void Reserve(string address)
    {
        lock (_gate)
        {
            _inUse.Add(ToNumber(address));
        }
    }

    public void Release(string address)
    {
        lock (_gate)
        {
            _inUse.Remove(ToNumber(address));
        }
    }

    // Addresses ending in .0 or .255 look like network and broadcast addresses to people and some tools.
    private static bool IsUsable(uint address) => (address & 0xFF) is not (0 or 255);

    private long CountUsable()
    {
        long count = 0;
        for (var a = (long)_first; a <= _last; a++)
        {
            count += IsUsable((uint)a) ? 1 : 0;
        }

        return count;
    }

    private uint? ReadCursor()
    {
        try
        {
            return ToNumber(File.ReadAllText(_cursorPath).Trim());
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or FormatException)
        {
            return null;
        }
    }

    private static uint ToNumber(string address)
    {
        var bytes = IPAddress.Parse(address).GetAddressBytes();
        return ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
    }

    private static string ToText(uint address) => string.Create(CultureInfo.InvariantCulture,
        $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}");
}
