using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Strata.LoadBalancing;

/// <summary>
/// TLS termination on the listen endpoint: a PEM certificate (optionally followed by its chain) and its PEM private
/// key, e.g. <c>/etc/strata/front.crt</c> and <c>/etc/strata/front.key</c>. Clients connect with <c>https://</c>;
/// members are still reached over plain HTTP on loopback.
/// </summary>
public sealed record TlsSettings
{
    /// <summary>The PEM certificate file.</summary>
    public required string CertificatePath { get; init; }

    /// <summary>The PEM private key file (PKCS#8, PKCS#1 or SEC1, unencrypted) matching the certificate.</summary>
    public required string KeyPath { get; init; }

    /// <summary>Every problem with the files, empty when they hold a PEM certificate and its matching key.</summary>
    public IReadOnlyList<string> Validate(string loadBalancerId)
    {
        var errors = new List<string>();
        foreach (var (what, path) in new[] { ("certificate", CertificatePath), ("key", KeyPath) })
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                errors.Add($"load balancer '{loadBalancerId}': the TLS {what} path is required");
            }
            else if (!File.Exists(path))
            {
                errors.Add($"load balancer '{loadBalancerId}': the TLS {what} file '{path}' does not exist");
            }
        }

        if (errors.Count > 0)
        {
            return errors;
        }

        using var certificate = TryLoad(out var problem);
        if (certificate is null)
        {
            errors.Add($"load balancer '{loadBalancerId}': {problem}");
        }

        return errors;
    }

    /// <summary>The certificate with its private key.</summary>
    /// <exception cref="InvalidDataException">The files are not a PEM certificate and its matching key.</exception>
    public X509Certificate2 Load() =>
        TryLoad(out var problem) ?? throw new InvalidDataException(problem);

    private X509Certificate2? TryLoad(out string problem)
    {
        problem = "";
        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath);
            if (certificate.HasPrivateKey)
            {
                return certificate;
            }

            certificate.Dispose();
            problem = $"the TLS key '{KeyPath}' is not the matching private key of the certificate '{CertificatePath}'";
        }
        catch (ArgumentException)
        {
            problem = $"the TLS key '{KeyPath}' is not the matching private key of the certificate '{CertificatePath}'";
        }
        catch (CryptographicException ex)
        {
            // CreateFromPemFile says the same thing for a malformed file and for a key of another certificate.
            problem = $"'{CertificatePath}' and '{KeyPath}' must be a PEM certificate and its matching unencrypted PEM private key: {ex.Message}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read the TLS files '{CertificatePath}' and '{KeyPath}': {ex.Message}";
        }

        return null;
    }
}
