using Strata.Spec.Diagnostics;
using Strata.Spec.Parameters;

namespace Strata.Spec.Tests;

[Trait("kind", "unit")]
public sealed class ParameterValuesTests
{
    private const string Spec = """
        deployment: demo
        parameters:
          webServers: { type: int, default: 2, min: 1, max: 8 }
          region: { allowed: [eu, us], default: eu }
          dbPassword: { secret: true }
        images:
          app: { from: ./app, run: server }
        tiers:
          web:
            image: app
            servers: { min: 1, max: 8, desired: "${params.webServers}" }
            env: { REGION: "${params.region}", PASSWORD: "${params.dbPassword}" }
        """;

    [Fact]
    public void Parse_NoValuesGiven_UsesDefaults()
    {
        var result = SpecFiles.Parse(Spec, ParameterValues.Empty.With("dbPassword", "pw"));

        Assert.True(result.Success, SpecFiles.Render(result));
        Assert.Equal(2, result.Spec!.Tiers[0].Servers.Desired);
        Assert.Equal("eu", result.Spec.ResolvedParameters["region"]);
    }

    [Fact]
    public void Parse_ValuesFromEverySource_CommandLineBeatsFileBeatsEnvironment()
    {
        var values = ParameterValues
            .FromEnvironment(new Dictionary<string, string>
            {
                ["STRATA_PARAM_WEBSERVERS"] = "3", ["STRATA_PARAM_REGION"] = "us", ["STRATA_PARAM_DBPASSWORD"] = "from-env",
            })
            .WithFileText("webServers: 4\nregion: eu\n", "params.yaml", out var fileErrors)
            .With("webServers", "5");

        var result = SpecFiles.Parse(Spec, values);

        Assert.Empty(fileErrors);
        Assert.True(result.Success, SpecFiles.Render(result));
        Assert.Equal(5, result.Spec!.Tiers[0].Servers.Desired);
        Assert.Equal("eu", result.Spec.ResolvedParameters["region"]);
        Assert.Equal("from-env", result.Spec.ResolvedParameters["dbPassword"]);
    }

    [Theory]
    [InlineData("dbPassword", "STRATA_PARAM_DBPASSWORD")]
    [InlineData("db-password", "STRATA_PARAM_DB_PASSWORD")]
    [InlineData("web.servers", "STRATA_PARAM_WEB_SERVERS")]
    public void EnvironmentVariableName_Name_IsUpperCasedWithUnderscores(string name, string expected) =>
        Assert.Equal(expected, ParameterValues.EnvironmentVariableName(name));

    [Theory]
    [InlineData("a=b", "a", "b")]
    [InlineData("url=http://x/?q=1", "url", "http://x/?q=1")]
    [InlineData("empty=", "empty", "")]
    public void TryParseArgument_NameEqualsValue_Splits(string argument, string name, string value)
    {
        Assert.True(ParameterValues.TryParseArgument(argument, out var n, out var v, out var error));
        Assert.Equal((name, value, null), (n, v, error));
    }

    [Theory]
    [InlineData("novalue", "parameter argument 'novalue' has no '='")]
    [InlineData("=3", "parameter argument '=3' has no name before '='")]
    [InlineData("9x=3", "'9x' is not a valid parameter name")]
    public void WithArguments_BadSyntax_IsUsageError(string argument, string message)
    {
        ParameterValues.Empty.WithArguments([argument, "ok=1"], out var diagnostics);

        var error = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticCodes.Usage, error.Code);
        Assert.Equal($"--param: error: {message}\n  hint: write --param name=value, e.g. --param webServers=3", error.ToString());
    }

    [Fact]
    public void Parse_CommandLineValueOfWrongType_ErrorNamesSource()
    {
        var result = SpecFiles.Parse(Spec, ParameterValues.Empty.With("webServers", "many").With("dbPassword", "x"));

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("--param: error: parameter 'webServers' given with --param: 'many' is not a whole number", error.ToString());
    }

    [Fact]
    public void Parse_ValueOutsideAllowed_IsError()
    {
        var result = SpecFiles.Parse(Spec, ParameterValues.FromEnvironment(new Dictionary<string, string> { ["STRATA_PARAM_REGION"] = "mars" }).WithAllowMissing());

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("STRATA_PARAM_REGION: error: parameter 'region' from STRATA_PARAM_REGION: 'mars' is not one of eu, us", error.ToString());
    }

    [Fact]
    public void Parse_InvalidSecretValue_IsNotPrinted()
    {
        var spec = "deployment: demo\nparameters:\n  pin: { type: int, secret: true }\n";

        var error = Assert.Single(SpecFiles.Parse(spec, ParameterValues.Empty.With("pin", "hunter2")).Diagnostics);

        Assert.DoesNotContain("hunter2", error.ToString(), StringComparison.Ordinal);
        Assert.Equal("parameter 'pin' given with --param: (secret) is not a whole number", error.Message);
    }

    [Fact]
    public void WithFileText_ParamsFileErrors_PointAtTheFile()
    {
        ParameterValues.Empty.WithFileText("webServers: 3\nregion: [eu, us]\n", "params.yaml", out var diagnostics);

        Assert.Equal("params.yaml:2:9: error: parameter 'region' must have a single value, found a list\n  hint: write name: value", Assert.Single(diagnostics).ToString());
    }

    [Fact]
    public void WithFileText_JsonFile_IsRead()
    {
        var values = ParameterValues.Empty.WithFileText("{ \"webServers\": 6, \"dbPassword\": \"pw\" }", "params.json", out var diagnostics);

        var result = SpecFiles.Parse(Spec, values);

        Assert.Empty(diagnostics);
        Assert.Equal(6, result.Spec!.Tiers[0].Servers.Desired);
    }

    [Fact]
    public void Parse_UndeclaredParameterInFile_IsErrorAtItsLine()
    {
        var values = ParameterValues.Empty.WithFileText("dbPassword: x\nwebServer: 3\n", "params.yaml", out _);

        var error = Assert.Single(SpecFiles.Parse(Spec, values).Diagnostics);

        Assert.Equal("params.yaml:2:12: error: parameter 'webServer' is not declared by the spec\n  hint: did you mean 'webServers'?", error.ToString());
    }

    [Fact]
    public void Parse_MissingRequiredInAllowMissingMode_SkipsDependentChecks()
    {
        var spec = "deployment: demo\nparameters:\n  n: { type: int }\nimages:\n  app: { from: ./app, run: x }\ntiers:\n  web: { image: app, servers: \"${params.n}\" }\n";

        var validate = SpecFiles.Parse(spec, ParameterValues.Empty.WithAllowMissing());
        var plan = SpecFiles.Parse(spec, ParameterValues.Empty);

        Assert.True(validate.Success, SpecFiles.Render(validate));
        Assert.Equal("strata.yaml:3:3: error: parameter 'n' has no value\n  hint: supply it with --param n=…, in a params file, or in the STRATA_PARAM_N environment variable",
            Assert.Single(plan.Diagnostics).ToString());
    }

    [Fact]
    public void Parse_ParameterInDurationAndSize_IsSubstitutedBeforeTypeCheck()
    {
        var spec = """
            deployment: demo
            parameters:
              every: { type: duration, default: 30s }
              disk: { type: size, default: 2GiB }
            images:
              app: { from: ./app, run: x }
            tiers:
              db:
                image: app
                ports: [5432]
                volumes: { data: { size: "${params.disk}" } }
                health: { tcp: 5432, interval: "${params.every}" }
            """;

        var tier = SpecFiles.Parse(spec).Spec!.Tiers[0];

        Assert.Equal(2L << 30, tier.Volumes[0].SizeBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), tier.Health!.Interval);
    }
}
