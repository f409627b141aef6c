using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

[Trait("kind", "unit")]
public sealed class TlsSettingsTests
{
    [Fact]
    public void Validate_MissingFiles_NamesEachOne()
    {
        using var folder = new TemporaryDirectory("strata-tls");
        var tls = new TlsSettings { CertificatePath = folder.Combine("none.crt"), KeyPath = folder.Combine("none.key") };

        var errors = tls.Validate("front");

        Assert.Equal(
            [$"load balancer 'front': the TLS certificate file '{tls.CertificatePath}' does not exist", $"load balancer 'front': the TLS key file '{tls.KeyPath}' does not exist"],
            errors);
    }

    [Fact]
    public void Validate_NotPem_SaysWhatIsExpected()
    {
        using var folder = new TemporaryDirectory("strata-tls");
        File.WriteAllText(folder.Combine("front.crt"), "not a certificate");
        File.WriteAllText(folder.Combine("front.key"), "not a key");
        var definition = new LoadBalancerDefinition
        {
            Id = "front", Deployment = "hello", ListenHost = "127.0.0.1", ListenPort = 0,
            Tls = new TlsSettings { CertificatePath = folder.Combine("front.crt"), KeyPath = folder.Combine("front.key") },
        };

        var error = Assert.Single(definition.Validate());

        Assert.StartsWith($"load balancer 'front': '{folder.Combine("front.crt")}' and '{folder.Combine("front.key")}' must be a PEM certificate and its matching unencrypted PEM private key", error);
    }

    [Fact]
    public void Load_SelfSignedPemPair_HasPrivateKeyAndExpiry()
    {
        using var folder = new TemporaryDirectory("strata-tls");
        using var generated = TestCertificate.Create(folder.Path, "front", TimeSpan.FromDays(3));

        using var loaded = generated.Settings.Load();

        Assert.True(loaded.HasPrivateKey);
        Assert.Equal(generated.Certificate.NotAfter, loaded.NotAfter);
        Assert.Empty(generated.Settings.Validate("front"));
    }
}
