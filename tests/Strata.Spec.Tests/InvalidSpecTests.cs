using Strata.Spec.Diagnostics;

namespace Strata.Spec.Tests;

/// <summary>
/// A corpus of small invalid specs. Each must produce exactly one error, at the exact line and column, with the
/// exact message, so a regression in any rule or in location tracking shows up here.
/// </summary>
[Trait("kind", "unit")]
public sealed class InvalidSpecTests
{
    private const string Image = """
        deployment: demo
        images:
          app: { from: ./app, run: "python3 server.py" }

        """;

    public static TheoryData<string, string, string, string> Cases => new()
    {
        {
            "unknown top-level key", Image + """
            tier:
              web: { image: app }
            """, "4:1", "unknown key 'tier' at the top level"
        },
        {
            "unknown nested key", Image + """
            tiers:
              web:
                image: app
                ports: [8000]
                health: { http: /healthz, intervall: 1s }
            """, "8:31", "unknown key 'intervall' in tiers.web.health"
        },
        {
            "bad duration", Image + """
            tiers:
              web:
                image: app
                ports: [8000]
                health: { http: /healthz, interval: 5x }
            """, "8:41", "tiers.web.health.interval: '5x' is not a duration"
        },
        {
            "maxReplacing of zero", Image + """
            tiers:
              web:
                image: app
                servers: 10
                maxReplacing: 0%
            """, "8:19", "tiers.web.maxReplacing: 0 would never replace an unhealthy server"
        },
        {
            "bad size", Image + """
            tiers:
              db:
                image: app
                volumes: { data: { size: 1GX } }
            """, "7:30", "tiers.db.volumes.data.size: '1GX' is not a size"
        },
        {
            "bad percentage", Image + """
            tiers:
              web:
                image: app
                update: { maxSurge: 150% }
            """, "7:25", "tiers.web.update.maxSurge: '150%' is not a count or a percentage"
        },
        {
            "surge on a tier with volumes", Image + """
            tiers:
              db:
                image: app
                volumes: { data: { size: 1GiB } }
                update: { maxSurge: 1 }
            """, "8:25",
            "tiers.db.update.maxSurge: tier db has volumes, so it is updated in place: each server stops before its replacement starts on its volumes, and no server is added beside the old ones"
        },
        {
            "desired below min", Image + """
            tiers:
              web:
                image: app
                servers: { min: 2, max: 4, desired: 1 }
            """, "7:41", "tiers.web.servers: desired (1) is not between min (2) and max (4)"
        },
        {
            "max below min", Image + """
            tiers:
              web:
                image: app
                servers: { min: 5, max: 4 }
            """, "7:29", "tiers.web.servers: max (4) is less than min (5)"
        },
        {
            "unknown image", Image + """
            tiers:
              web:
                image: ap
            """, "6:12", "tiers.web.image: unknown image 'ap'"
        },
        {
            "missing image key", Image + """
            tiers:
              web:
                servers: 2
            """, "5:3", "tiers.web: missing required key 'image'"
        },
        {
            "unknown load balancer target tier", Image + """
            tiers:
              web: { image: app, ports: [8000] }
            loadBalancers:
              front: { listen: 127.0.0.1:8080, to: wbe:8000 }
            """, "7:40", "loadBalancers.front.to: unknown tier 'wbe'"
        },
        {
            "load balancer target port not on tier", Image + """
            tiers:
              web: { image: app, ports: [8000] }
            loadBalancers:
              front: { listen: 127.0.0.1:8080, to: web:9000 }
            """, "7:40", "loadBalancers.front.to: tier 'web' has no port '9000'"
        },
        {
            "tier port listed twice", Image + """
            tiers:
              web: { image: app, ports: [8000, 8001, 8000] }
            """, "5:42", "tiers.web.ports: port 8000 is listed twice"
        },
        {
            "load balancer port listened twice", Image + """
            tiers:
              web: { image: app, ports: [8000] }
            loadBalancers:
              front: { listen: 127.0.0.1:8080, to: web:8000 }
              back: { listen: 127.0.0.1:8080, to: web:8000 }
            """, "8:19", "loadBalancers.back.listen: 127.0.0.1:8080 is already listened on by load balancer 'front'"
        },
        {
            "listen not loopback", Image + """
            tiers:
              web: { image: app, ports: [8000] }
            loadBalancers:
              front: { listen: 0.0.0.0:80, to: web:8000 }
            """, "7:20", "loadBalancers.front.listen: '0.0.0.0' is not a loopback address"
        },
        {
            "listen on localhost", Image + """
            tiers:
              web: { image: app, ports: [8000] }
            loadBalancers:
              front: { listen: "localhost:80", to: web:8000 }
            """, "7:20", "loadBalancers.front.listen: 'localhost' is not a loopback address"
        },
        {
            "secret in output", """
            deployment: demo
            parameters:
              token: { secret: true, default: x }
            outputs:
              leak: "token is ${params.token}"
            """, "5:21", "outputs.leak: secret parameter 'token' is used in an output, which is printed"
        },
        {
            "secret in typed field", """
            deployment: demo
            parameters:
              count: { type: int, secret: true, default: 2 }
            images:
              app: { from: ./app, run: server }
            tiers:
              web: { image: app, servers: "${params.count}" }
            """, "7:34", "tiers.web.servers: secret parameter 'count' would be printed in plans"
        },
        {
            "unknown parameter in env", Image + """
            parameters:
              region: { default: eu }
            tiers:
              web:
                image: app
                env: { REGION: "${params.regoin}" }
            """, "9:23", "tiers.web.env.REGION: unknown parameter 'regoin'"
        },
        {
            "run-time reference in typed field", Image + """
            tiers:
              db: { image: app }
              web: { image: app, servers: "${tiers.db.servers[0].address}" }
            """, "6:34", "tiers.web.servers: '${tiers.db.servers[0].address}' is not known until apply, but this value is needed to plan"
        },
        {
            "server index beyond max", Image + """
            tiers:
              db: { image: app, servers: 2 }
              web:
                image: app
                env: { DB: "${tiers.db.servers[2].address}" }
            """, "8:19", "'tiers.db.servers[2].address': tier 'db' has at most 2 servers, so there is no server 2"
        },
        {
            "unknown tier in template", Image + """
            tiers:
              web:
                image: app
                env: { DB: "${tiers.database.servers[0].address}" }
            """, "7:19", "tiers.web.env.DB: unknown tier 'database'"
        },
        {
            "unterminated interpolation", Image + """
            tiers:
              web:
                image: app
                env: { DB: "host=${tiers.db" }
            """, "7:22", "tiers.web.env.DB: '${' is never closed with '}'"
        },
        {
            "unknown function", Image + """
            tiers:
              web:
                image: app
                env: { NAME: "${uper(self.name)}" }
            """, "7:21", "tiers.web.env.NAME: unknown function 'uper'; did you mean 'upper'? (functions: join, default, upper, lower)"
        },
        {
            "dependency cycle", Image + """
            tiers:
              a:
                image: app
                env: { PEER: "${tiers.b.servers[0].address}" }
              b:
                image: app
                env: { PEER: "${tiers.a.servers[0].address}" }
            """, "7:21", "dependency cycle: tiers.a -> tiers.b -> tiers.a"
        },
        {
            "dependsOn unknown tier", Image + """
            tiers:
              web: { image: app, dependsOn: [bd] }
            """, "5:34", "tiers.web.dependsOn: unknown tier 'bd'"
        },
        {
            "invalid tier name", Image + """
            tiers:
              Web: { image: app }
            """, "5:3", "tiers: 'Web' is not a valid tier name"
        },
        {
            "deployment name too long", """
            deployment: a-deployment-name-that-is-far-too-long-to-use
            """, "1:13", "deployment: 'a-deployment-name-that-is-far-too-long-to-use' is not a valid deployment name"
        },
        {
            "missing deployment", """
            images:
              app: { from: ./app, run: server }
            """, "1:1", "missing required key 'deployment'"
        },
        {
            "firewall rule syntax", Image + """
            tiers:
              web: { image: app, ports: [8000] }
            firewall:
              - web => web:8000
            """, "7:5", "firewall[0]: 'web => web:8000' is not a firewall rule"
        },
        {
            "firewall unknown source", Image + """
            tiers:
              db: { image: app, ports: [5432] }
            firewall:
              - wbe -> db:5432
            """, "7:5", "firewall[0]: 'wbe' is not a tier, a load balancer or any"
        },
        {
            "firewall port not declared", Image + """
            tiers:
              db: { image: app, ports: [5432] }
            firewall:
              - any -> db:5433
            """, "7:5", "firewall[0]: tier 'db' has no port 5433"
        },
        {
            "health check with two kinds", Image + """
            tiers:
              web:
                image: app
                ports: [8000]
                health: { http: /healthz, tcp: 8000 }
            """, "8:31", "tiers.web.health: needs exactly one of http, tcp or command, found http and tcp"
        },
        {
            "timeout not shorter than interval", Image + """
            tiers:
              web:
                image: app
                ports: [8000]
                health: { tcp: 8000, interval: 1s, timeout: 2s }
            """, "8:49", "tiers.web.health: timeout (2s) must be shorter than interval (1s)"
        },
        {
            "invalid cron", Image + """
            tiers:
              web:
                image: app
                servers: { min: 1, max: 4 }
                scaling:
                  - schedule: { cron: "0 25 * * *", min: 2 }
            """, "9:27", "tiers.web.scaling[0].schedule.cron: invalid hour field '25' in cron expression: '25' is not a number from 0 to 23"
        },
        {
            "scaling hook the image lacks", Image + """
            tiers:
              web:
                image: app
                scaling:
                  - hook: scaleCheck
            """, "8:15", "tiers.web.scaling[0].hook: image 'app' has no hook 'scaleCheck'"
        },
        {
            "service backup without backup hook", Image + """
            tiers:
              db:
                image: app
                backups:
                  dump: { service: true, every: 1h }
            """, "8:24", "tiers.db.backups.dump.service: image 'app' has no backup hook"
        },
        {
            "snapshot of unknown volume", Image + """
            tiers:
              db:
                image: app
                volumes: { data: { size: 1GiB } }
                backups:
                  nightly: { snapshot: dta, every: 24h }
            """, "9:28", "tiers.db.backups.nightly.snapshot: unknown volume 'dta'"
        },
        {
            "backup with every and cron", Image + """
            tiers:
              db:
                image: app
                volumes: { data: { size: 1GiB } }
                backups:
                  nightly: { snapshot: data, every: 24h, cron: "0 3 * * *" }
            """, "9:46", "tiers.db.backups.nightly: needs exactly one of every or cron"
        },
        {
            "backup cron beyond the documented syntax", Image + """
            tiers:
              db:
                image: app
                volumes: { data: { size: 1GiB } }
                backups:
                  nightly: { snapshot: data, cron: "0 3 L * *" }
            """, "9:40", "tiers.db.backups.nightly.cron: invalid day of month field 'L' in cron expression: 'L' is not a number from 1 to 31"
        },
        {
            "parameter default below min", """
            deployment: demo
            parameters:
              servers: { type: int, default: 0, min: 1 }
            """, "3:34", "parameters.servers.default: 0 is out of range 1 to any"
        },
        {
            "duplicate key", Image + """
            tiers:
              web: { image: app }
              web: { image: app }
            """, "6:3", "duplicate key 'web'"
        },
        {
            "yaml syntax error", """
            deployment: demo
            tiers:
              web: { image: app
            """, "4:1", "YAML syntax: while parsing a flow mapping, did not find expected ',' or '}'"
        },
        {
            "deletion policy not a choice", Image + """
            tiers:
              db: { image: app, deletionPolicy: snapshots }
            """, "5:37", "tiers.db.deletionPolicy: 'snapshots' is not one of delete, retain, snapshot"
        },
        {
            "volume recovery not a choice", Image + """
            tiers:
              db: { image: app, volumeRecovery: restore }
            """, "5:37", "tiers.db.volumeRecovery: 'restore' is not one of wait, restoreLatest"
        },
        {
            "volume recovery without volumes", Image + """
            tiers:
              db: { image: app, volumeRecovery: restoreLatest }
            """, "5:37", "tiers.db.volumeRecovery: restoreLatest restores a tier's volumes, and tier db has none"
        },
        {
            "volume recovery without snapshots", Image + """
            tiers:
              db:
                image: app
                volumes: { data: { size: 1GiB } }
                volumeRecovery: restoreLatest
            """, "8:21", "tiers.db.volumeRecovery: restoreLatest restores volume 'data' from its newest snapshot, and no backup policy of tier db takes snapshots of it"
        },
        {
            "protocol not a choice", Image + """
            tiers:
              api: { image: app, protocol: h2 }
            """, "5:32", "tiers.api.protocol: 'h2' is not one of http1, h2c"
        },
        {
            "port out of range", Image + """
            tiers:
              web: { image: app, ports: [70000] }
            """, "5:30", "tiers.web.ports[0]: 70000 is out of range"
        },
        {
            "threshold below not under above", Image + """
            tiers:
              web:
                image: app
                scaling:
                  - { metric: cpu, above: 50, below: 60 }
            """, "8:42", "tiers.web.scaling[0]: below (60) must be less than above (50)"
        },
        {
            "self in an output", Image + """
            outputs:
              me: ${self.address}
            """, "5:9", "outputs.me: 'self.address' has no server to refer to here"
        },
        {
            "unknown reference root", Image + """
            parameters:
              region: { default: eu }
            tiers:
              web: { image: app, env: { REGION: "${param.region}" } }
            """, "7:40", "tiers.web.env.REGION: unknown reference 'param.region'"
        },
        {
            "reserved environment variable", Image + """
            tiers:
              web: { image: app, env: { STRATA_ADDRESS: x } }
            """, "5:29", "tiers.web.env: 'STRATA_ADDRESS' is reserved"
        },
        {
            "absolute volume mount", Image + """
            tiers:
              db: { image: app, volumes: { data: { size: 1GiB, mount: /var/lib/data } } }
            """, "5:59", "tiers.db.volumes.data.mount: '/var/lib/data' must be a relative path inside the server's folder"
        },
        {
            "unknown provider", Image + """
            provider: aws
            """, "4:11", "provider: 'aws' is not a known provider (known: local)"
        },
        {
            "misspelt provider", Image + """
            provider: locl
            """, "4:11", "provider: 'locl' is not a known provider (known: local)"
        },
        {
            "an images store", Image + """
            storage:
              images: { type: filesystem, path: /srv/images }
            """, "5:3", "storage.images is not supported: images are kept by the provider"
        },
        {
            "s3 store without bucket", Image + """
            storage:
              backups:
                type: s3
                endpoint: http://127.0.0.1:9000
            """, "5:3", "storage.backups: missing required key 'bucket'"
        },
        {
            "ports as a single value", Image + """
            tiers:
              web: { image: app, ports: 8000 }
            """, "5:29", "tiers.web.ports: expected a list, found a single value"
        },
        {
            "misspelt hook", """
            deployment: demo
            images:
              app: { from: ./app, run: server, hooks: { confgure: ./setup.sh } }
            """, "3:45", "unknown key 'confgure' in images.app.hooks"
        },
        {
            "health threshold zero", Image + """
            tiers:
              web: { image: app, health: { tcp: 8000, healthyAfter: 0 } }
            """, "5:57", "tiers.web.health.healthyAfter: 0 is out of range"
        },
        {
            "unknown port name in template", Image + """
            tiers:
              db: { image: app, ports: { pg: 5432 } }
              web: { image: app, env: { DB_PORT: "${tiers.db.ports.postgres}" } }
            """, "6:41", "'tiers.db.ports.postgres': tier 'db' has no port named 'postgres'"
        },
        {
            "http check without a port", Image + """
            tiers:
              web: { image: app, health: { http: /healthz } }
            """, "5:32", "tiers.web.health: an http check needs a port, and the tier declares none"
        },
        {
            "invalid index in template", Image + """
            tiers:
              web: { image: app, env: { A: "${tiers.web.servers[x].address}" } }
            """, "5:53", "tiers.web.env.A: an index is a number or '*', not 'x'"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Parse_InvalidSpec_ReportsOneErrorAtItsLocation(string name, string yaml, string location, string message)
    {
        var result = SpecFiles.Parse(yaml);

        Assert.False(result.Success, name);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal($"strata.yaml:{location}", error.Location.ToString());
        Assert.Equal(message, error.Message);
        Assert.StartsWith($"strata.yaml:{location}: error: {message}", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Cases_CoverAtLeastFortySpecs_WithDistinctNames()
    {
        var names = Cases.Select(c => (string)c[0]).ToList();

        Assert.True(names.Count >= 40, $"only {names.Count} cases");
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void Parse_ManyProblems_ReportsEveryOneInFileOrder()
    {
        var yaml = Image + """
            tiers:
              web:
                image: ap
                servers: { min: 3, max: 2 }
                health: { tcp: 8000, interval: soon }
            """;

        var result = SpecFiles.Parse(yaml);

        Assert.Equal(["6:12", "7:29", "8:36"], result.Diagnostics.Select(d => $"{d.Location.Line}:{d.Location.Column}"));
    }

    [Fact]
    public void Parse_UnknownKey_HintsNearestKnownKey()
    {
        var result = SpecFiles.Parse(Image + "tiers:\n  web: { image: app, sevrers: 2 }\n");

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticCodes.UnknownKey, error.Code);
        Assert.Equal("did you mean 'servers'?", error.Hint);
        Assert.Equal("strata.yaml:5:22: error: unknown key 'sevrers' in tiers.web\n  hint: did you mean 'servers'?", error.ToString());
    }

    [Fact]
    public void Parse_UnknownReference_HintsNearestName()
    {
        var result = SpecFiles.Parse(Image + "tiers:\n  database: { image: app }\n  web: { image: app, dependsOn: [databse] }\n");

        Assert.Equal("did you mean 'database'?", Assert.Single(result.Diagnostics).Hint);
    }

    [Fact]
    public void Parse_SecretInRunAndHealthCommand_IsAcceptedBecauseCommandsGetSecretsThroughTheEnvironment()
    {
        var yaml = "deployment: demo\nparameters:\n  dbPassword: { secret: true }\nimages:\n  app: { from: ./app, run: \"x ${params.dbPassword}\" }\n"
            + "tiers:\n  web: { image: app, health: { command: \"check ${params.dbPassword}\" } }\n";

        var result = SpecFiles.Parse(yaml);

        // Accepted: only warned of, since the shell hands the value to the programs x and check as an argument.
        Assert.True(result.Success, SpecFiles.Render(result));
        Assert.Equal([DiagnosticCodes.SecretInArguments, DiagnosticCodes.SecretInArguments], result.Diagnostics.Select(d => d.Code));
        Assert.All(result.Diagnostics, d => Assert.Equal(DiagnosticSeverity.Warning, d.Severity));
    }
}
