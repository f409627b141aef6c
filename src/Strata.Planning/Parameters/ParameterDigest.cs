using System.Security.Cryptography;
using Strata.Spec.Model;

namespace Strata.Planning.Parameters;

/// <summary>
/// A digest of the parameter values a plan was made with. It is an HMAC-SHA256 keyed by a per-installation key, so a
/// saved plan (which never holds secret values) cannot be used to guess a short secret by hashing candidates: without
/// the key the digest says nothing about the values. Secrets are included, so changing a secret outdates a plan.
/// </summary>
public static class ParameterDigest
{
    /// <summary>The smallest key accepted: 16 bytes.</summary>
    public const int MinKeyLength = 16;

    /// <summary>Computes the digest of a loaded spec's <see cref="DeploymentSpec.ResolvedParameters"/>.</summary>
    public static string Compute(DeploymentSpec spec, ReadOnlySpan<byte> installationKey)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Compute(spec.Parameters, spec.ResolvedParameters, installationKey);
    }

    /// <summary>Computes <c>hmac-sha256:…</c> over the values of the declared parameters, in name order.</summary>
    /// <param name="parameters">The declared parameters; values of undeclared names are ignored.</param>
    /// <param name="values">The resolved values by parameter name, defaults included.</param>
    /// <param name="installationKey">The installation's secret key, at least <see cref="MinKeyLength"/> bytes.</param>
    public static string Compute(
        IReadOnlyList<ParameterSpec> parameters, IReadOnlyDictionary<string, string> values, ReadOnlySpan<byte> installationKey)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(values);
        if (installationKey.Length < MinKeyLength)
        {
            throw new ArgumentException($"The installation key must be at least {MinKeyLength} bytes.", nameof(installationKey));
        }

        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, installationKey);
        foreach (var parameter in parameters.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var value = values.TryGetValue(parameter.Name, out var given) ? given : parameter.Default;
            var field = value is null ? $"{parameter.Name}:-\n" : $"{parameter.Name}:{value.Length}:{value}\n";
            hmac.AppendData(System.Text.Encoding.UTF8.GetBytes(field));
        }

        return "hmac-sha256:" + Convert.ToHexStringLower(hmac.GetHashAndReset());
    }
}
