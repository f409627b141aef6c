namespace Strata.Cli.Tests;

/// <summary><c>strata plan</c> says where a secret would land in a program's arguments, and still plans.</summary>
[Trait("kind", "e2e")]
public sealed class SecretArgumentWarningEndToEndTests
{
    [Fact]
    public async Task Plan_SecretAsAProgramArgument_WarnsWithFileLineAndColumnAndPlans()
    {
        await using var strata = new StrataRunner();
        strata.Home.WriteFile("warn/app/app.sh", "sleep 60\n");
        var spec = strata.Home.WriteFile("warn/strata.yaml", """
            deployment: warn
            parameters:
              token: { secret: true, default: t0ken }
            images:
              app:
                from: ./app
                run: "exec sh app.sh --token ${params.token}"
            tiers:
              web: { image: app, servers: 1 }
            """);

        var plan = await strata.RunAsync(TimeSpan.FromMinutes(1), "plan", spec);

        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("+ tiers.web", plan.Out, StringComparison.Ordinal);
        Assert.Contains(
            $"{spec}:7:36: warning: images.app.run: secret parameter 'token' becomes an argument of the program this command starts",
            plan.Error, StringComparison.Ordinal);
    }
}
