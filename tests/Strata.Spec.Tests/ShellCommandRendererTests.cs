using System.Diagnostics;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;
using Strata.Testing;

namespace Strata.Spec.Tests;

/// <summary>
/// Rendered commands run through a real <c>/bin/sh</c>, which prints each argument it ends up with on a line of its
/// own: what the shell makes of a value is what is checked, not the text Strata wrote.
/// </summary>
[Trait("kind", "unit")]
public sealed class ShellCommandRendererTests
{
    private const string Secret = "pa ss'\"$HOME`id`";

    private sealed class FixedResolver(Dictionary<string, ReferenceValue> values) : IReferenceResolver
    {
        public string Name => "test";

        public ReferenceValue? Resolve(PathExpression path) => values.TryGetValue(path.Path, out var value) ? value : ReferenceValue.Unknown;
    }

    private static readonly FixedResolver s_resolver = new(new Dictionary<string, ReferenceValue>
    {
        ["params.evil"] = ReferenceValue.Known("1;touch pwned"),
        ["params.quotes"] = ReferenceValue.Known("it's \"$HOME\" `id` \\ $(id)"),
        ["params.empty"] = ReferenceValue.Known(""),
        ["params.password"] = ReferenceValue.Known(Secret, isSecret: true),
        ["tiers.web.servers[*].address"] = ReferenceValue.List(["127.0.0.2", "127.0.0.3"]),
    });

    [Theory]
    [InlineData("${params.evil}", "1;touch pwned")]
    [InlineData("\"${params.evil}\"", "1;touch pwned")]
    [InlineData("'${params.evil}'", "1;touch pwned")]
    [InlineData("${params.quotes}", "it's \"$HOME\" `id` \\ $(id)")]
    [InlineData("\"${params.quotes}\"", "it's \"$HOME\" `id` \\ $(id)")]
    [InlineData("'${params.quotes}'", "it's \"$HOME\" `id` \\ $(id)")]
    [InlineData("--name=${params.quotes}", "--name=it's \"$HOME\" `id` \\ $(id)")]
    [InlineData("\"--a=${params.evil} b\"", "--a=1;touch pwned b")]
    [InlineData("x${params.empty}y", "xy")]
    [InlineData("${tiers.web.servers[*].address}", "127.0.0.2,127.0.0.3")]
    public async Task Render_NonSecretValue_ReachesTheProgramAsOneLiteralArgument(string raw, string expected)
    {
        using var folder = new TemporaryDirectory();
        var renderer = new ShellCommandRenderer();

        var arguments = await ArgumentsAsync(renderer, raw, folder.Path);

        Assert.Equal([expected], arguments);
        Assert.Empty(Directory.GetFiles(folder.Path));
        Assert.Empty(renderer.Environment);
    }

    [Theory]
    [InlineData("${params.password}")]
    [InlineData("\"${params.password}\"")]
    [InlineData("'${params.password}'")]
    public async Task Render_Secret_IsAVariableReferenceWhoseValueIsInTheEnvironment(string raw)
    {
        using var folder = new TemporaryDirectory();
        var renderer = new ShellCommandRenderer();

        var text = renderer.Render(new Template("printf '%s\\n' " + raw, SourceLocation.None), s_resolver)!;
        var arguments = await RunAsync(text, renderer.Environment, folder.Path);

        Assert.DoesNotContain("pa ss", text, StringComparison.Ordinal);
        Assert.Equal(Secret, Assert.Single(renderer.Environment).Value);
        Assert.Equal([Secret], arguments);
    }

    [Fact]
    public void Render_SameSecretTwiceAcrossCommands_SharesOneVariable()
    {
        var renderer = new ShellCommandRenderer();

        var run = renderer.Render(new Template("a ${params.password}", SourceLocation.None), s_resolver);
        var configure = renderer.Render(new Template("b ${upper(params.evil)} ${params.password}", SourceLocation.None), s_resolver);

        Assert.Equal("a \"${STRATA_SECRET_1}\"", run);
        Assert.Equal("b '1;TOUCH PWNED' \"${STRATA_SECRET_1}\"", configure);
        Assert.Equal("STRATA_SECRET_1", Assert.Single(renderer.Environment).Key);
    }

    [Fact]
    public void Render_UnknownValue_IsNull() =>
        Assert.Null(new ShellCommandRenderer().Render(new Template("x ${tiers.db.servers[0].address}", SourceLocation.None), s_resolver));

    private static Task<List<string>> ArgumentsAsync(ShellCommandRenderer renderer, string raw, string folder) =>
        RunAsync(renderer.Render(new Template("printf '%s\\n' " + raw, SourceLocation.None), s_resolver)!, renderer.Environment, folder);

    private static async Task<List<string>> RunAsync(string command, IReadOnlyDictionary<string, string> environment, string folder)
    {
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = folder, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, process.ExitCode);
        return [.. output.Split('\n')[..^1]];
    }
}
