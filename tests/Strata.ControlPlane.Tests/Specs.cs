using Strata.Spec.Loading;
using Strata.Spec.Model;
using Strata.Spec.Parameters;

namespace Strata.ControlPlane.Tests;

/// <summary>Specs loaded from YAML text the way <c>strata.yaml</c> is.</summary>
internal static class Specs
{
    public const string SecretPassword = "s3cret-not-for-display";

    /// <summary>A web tier behind a load balancer, reading a database tier; a secret and a plain parameter.</summary>
    public const string Shop = """
        deployment: shop
        parameters:
          dbPassword:
            type: string
            secret: true
          region:
            type: string
            default: eu
        images:
          app:
            from: ./app
            run: python3 server.py --bind ${self.address}:8000
        tiers:
          db:
            image: app
            servers: 1
            ports: { postgres: 5432 }
            env:
              DB_PASSWORD: ${params.dbPassword}
          web:
            image: app
            servers: 3
            ports: { http: 8000 }
            dependsOn: [db]
            env:
              DB_HOST: ${tiers.db.servers[0].address}
              DB_PORT: ${tiers.db.ports.postgres}
              REGION: ${params.region}
        loadBalancers:
          front:
            listen: 127.0.0.1:8080
            to: web:http
        outputs:
          url: ${loadBalancers.front.url}
        """;

    /// <summary>
    /// Deployment <c>shop</c> with one tier, <c>web</c>, of <paramref name="servers"/> servers running <c>sh run.sh</c>;
    /// with a <paramref name="health"/> check (e.g. <c>{ http: /healthz, interval: 1s }</c>) or a load balancer in
    /// front (<c>front</c>, on 127.0.0.1:18080) the tier also has an <c>http</c> port, <paramref name="port"/>.
    /// </summary>
    public static string Web(int servers, string? health = null, int port = 8000, bool front = false)
    {
        var ports = health is null && !front ? "" : $"\n    ports: {{ http: {port} }}";
        var probed = health is null ? "" : $"\n    health: {health}";
        var balanced = front ? "\nloadBalancers:\n  front: { listen: \"127.0.0.1:18080\", to: web:http }" : "";
        return $$"""
            deployment: shop
            images:
              app: { from: ./app, run: "sh run.sh" }
            tiers:
              web:
                image: app
                servers: {{servers}}
            """ + ports + probed + balanced;
    }

    public static DeploymentSpec Load(string yaml, ParameterValues? values = null)
    {
        var result = SpecLoader.Parse(yaml, SpecLoader.DefaultFileName, values ?? ParameterValues.Empty.With("dbPassword", SecretPassword));
        Assert.True(result.Success, string.Join(Environment.NewLine, result.Errors));
        return result.Spec!;
    }
}
