using Strata.Spec.Diagnostics;

namespace Strata.Spec.Tests;

/// <summary>
/// A secret that the shell hands to a program as an argument is in that program's command line, which every user of
/// the machine can read: the spec loads, with a warning at the reference. Where the value stays in the shell (an
/// assignment, a builtin, a redirection) there is none.
/// </summary>
[Trait("kind", "unit")]
public sealed class SecretArgumentWarningTests
{
    private static string Spec(string run, string hook = "true") => $$"""
        deployment: shop
        parameters:
          token: { secret: true, default: t0ken }
          label: { default: plain }
        images:
          app:
            from: ./app
            run: '{{run.Replace("'", "''", StringComparison.Ordinal)}}'
            hooks: { configure: '{{hook}}' }
        """;

    [Theory]
    [InlineData("app --token ${params.token}")]
    [InlineData("exec python3 app.py --token=${params.token}")]
    [InlineData("cd /srv && ./app \"${params.token}\"")]
    [InlineData("echo start; env TOKEN=${params.token} app")]
    [InlineData("A=1 app ${params.label} ${upper(params.token)} 2>&1")]
    [InlineData("echo ok | sh -c \"curl -u u:${params.token} x\"")]
    [InlineData("if true; then app ${params.token}; fi")]
    public void Load_SecretInAProgramsArguments_WarnsAtTheReference(string run)
    {
        // The value starts in column 11 of line 8 ("    run: '").
        var column = 11 + run.IndexOf("params.token", StringComparison.Ordinal);

        var result = SpecFiles.Parse(Spec(run));

        Assert.True(result.Success, SpecFiles.Render(result));
        var warning = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Equal(DiagnosticCodes.SecretInArguments, warning.Code);
        Assert.Equal((8, column), (warning.Location.Line, warning.Location.Column));
        Assert.StartsWith(
            $"strata.yaml:8:{column}: warning: images.app.run: secret parameter 'token' becomes an argument of the program this command starts, where every user of the machine can read it (ps, /proc/*/cmdline)",
            warning.ToString(), StringComparison.Ordinal);
        Assert.Contains("hint: give it to the program in env (env: { TOKEN: \"${params.token}\" })", warning.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TOKEN=${params.token} exec app")]
    [InlineData("export TOKEN=${params.token}; exec app")]
    [InlineData("echo ${params.token} > token.txt; printf %s \"${params.token}\" >> t; app")]
    [InlineData("test -n \"${params.token}\" && [ ${params.token} != x ] && app ${params.label}")]
    [InlineData("app > ${params.token} 2>&1")]
    [InlineData("app '--label=${params.label}' # ${params.token}")]
    [InlineData("for t in ${params.token}; do echo $t; done")]
    public void Load_SecretStaysInTheShell_NoWarning(string run)
    {
        var result = SpecFiles.Parse(Spec(run));

        Assert.True(result.Success, SpecFiles.Render(result));
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void Load_SecretInAHooksArguments_WarnsForTheHook()
    {
        var result = SpecFiles.Parse(Spec("exec app", hook: "psql -c \"ALTER USER app PASSWORD ${params.token}\""));

        var warning = Assert.Single(result.Diagnostics);
        Assert.Contains("images.app.hooks.configure: secret parameter 'token' becomes an argument", warning.Message, StringComparison.Ordinal);
    }
}
