using System.Text;

namespace Strata.Planning.Naming;

/// <summary>
/// Makes physical names <c>deployment-logicalId-xxxxxx</c>: six lower-case base-36 characters from an injected
/// random source, unique among the names it has been told are taken. Names already in state are reused by the
/// planner, so a name is made once and stays for the life of its resource.
/// </summary>
public sealed class NameGenerator
{
    /// <summary>The longest name made: 63 characters, so that names fit a DNS label and a file name.</summary>
    public const int MaxLength = 63;

    /// <summary>The length of the random suffix.</summary>
    public const int SuffixLength = 6;

    private const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
    private const int MaxAttempts = 1000;

    private readonly Random _random;
    private readonly HashSet<string> _taken;

    /// <param name="random">The random source; tests pass a seeded <see cref="Random"/> for repeatable names.</param>
    /// <param name="taken">Names already in use, which are never made again.</param>
    public NameGenerator(Random random, IEnumerable<string>? taken = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        _random = random;
        _taken = new HashSet<string>(taken ?? [], StringComparer.Ordinal);
    }

    /// <summary>Makes a new unique name, e.g. <c>hello-web-k3x9a1</c>, and marks it taken.</summary>
    /// <param name="deployment">The deployment name.</param>
    /// <param name="logicalId">The resource's name in the spec, e.g. <c>web</c> or <c>db-data</c>.</param>
    public string Next(string deployment, string logicalId)
    {
        ArgumentException.ThrowIfNullOrEmpty(deployment);
        ArgumentException.ThrowIfNullOrEmpty(logicalId);
        var prefix = Prefix(Sanitize(deployment), Sanitize(logicalId));
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var name = prefix + Suffix();
            if (_taken.Add(name))
            {
                return name;
            }
        }

        throw new InvalidOperationException($"No free name for '{prefix}…' after {MaxAttempts} attempts.");
    }

    /// <summary>Marks a name taken, for names that come from elsewhere.</summary>
    public void Reserve(string name) => _taken.Add(name);

    private static string Prefix(string deployment, string logical)
    {
        // Two dashes and the suffix; the logical id gives way first, since the deployment name is shared by all.
        var room = MaxLength - SuffixLength - 2;
        if (deployment.Length + logical.Length > room)
        {
            var logicalRoom = Math.Max(room - deployment.Length, Math.Min(logical.Length, room / 2));
            logical = logical[..Math.Min(logical.Length, logicalRoom)].TrimEnd('-');
            deployment = deployment[..Math.Min(deployment.Length, room - logical.Length)].TrimEnd('-');
        }

        return $"{deployment}-{logical}-";
    }

    private static string Sanitize(string part)
    {
        var builder = new StringBuilder(part.Length);
        foreach (var c in part.ToLowerInvariant())
        {
            builder.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-');
        }

        return builder.ToString().Trim('-') is { Length: > 0 } clean ? clean : "x";
    }

    private string Suffix() =>
        string.Create(SuffixLength, _random, static (span, random) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[random.Next(Alphabet.Length)];
            }
        });
}
