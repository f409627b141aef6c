using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Strata.Planning.State;

/// <summary>
/// SHA-256 over a canonical text form: every field written as <c>name:length:value\n</c> so that no two different
/// sequences of fields hash alike. Numbers and durations are written culture-invariantly.
/// </summary>
internal sealed class CanonicalHash : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _buffer = new byte[256];

    public CanonicalHash Add(string name, string? value)
    {
        var text = value is null ? $"{name}:-\n" : $"{name}:{value.Length}:{value}\n";
        var count = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (count > _buffer.Length)
        {
            _buffer = new byte[Math.Max(count, _buffer.Length * 2)];
        }

        var written = Encoding.UTF8.GetBytes(text, _buffer);
        _hash.AppendData(_buffer, 0, written);
        return this;
    }

    public CanonicalHash Add(string name, long value) => Add(name, value.ToString(CultureInfo.InvariantCulture));

    public CanonicalHash Add(string name, double? value) =>
        Add(name, value?.ToString("R", CultureInfo.InvariantCulture));

    public CanonicalHash Add(string name, bool value) => Add(name, value ? "true" : "false");

    public CanonicalHash Add(string name, TimeSpan? value) =>
        Add(name, value?.Ticks.ToString(CultureInfo.InvariantCulture));

    /// <summary>Adds a map in ordinal key order, so that the order it was written in does not matter.</summary>
    public CanonicalHash Add<TValue>(string name, IReadOnlyDictionary<string, TValue> map, Func<TValue, string> format)
    {
        Add(name, map.Count);
        foreach (var key in map.Keys.Order(StringComparer.Ordinal))
        {
            Add($"{name}.{key}", format(map[key]));
        }

        return this;
    }

    /// <summary>The digest as <c>sha256:</c> and 64 lower-case hex digits.</summary>
    public string Finish() => "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset());

    public void Dispose() => _hash.Dispose();
}
