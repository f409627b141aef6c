using System.Text;
using Strata.Spec.Loading;
using Strata.Spec.Parameters;

namespace Strata.Spec.Tests;

[Trait("kind", "unit")]
public sealed class RobustnessTests
{
    private const int Mutations = 2000;

    private static readonly string[] s_fragments =
        ["${", "}", "${params.", "${tiers.", "[", "]", "{", ":", ": ", "- ", "\n", "  ", "\t", "\"", "'", "&a", "*a", "<<: ", "---\n", "#", "0", "-1", "99999999999", "1GiB", "5x", "%", "->", "${self.address}", "null", "~", "true", "[*]", "$${"];

    [Fact]
    public void Parse_RandomMutationsOfExamples_NeverThrowsAndLocatesEveryError()
    {
        var random = new Random(20261122);
        var sources = new[] { File.ReadAllText(SpecFiles.Example("hello")), File.ReadAllText(SpecFiles.Example("status-page")) };
        var failures = 0;
        for (var i = 0; i < Mutations; i++)
        {
            var source = sources[i % sources.Length];
            var mutated = Mutate(source, random);
            SpecLoadResult result;
            try
            {
                result = SpecLoader.Parse(mutated, "strata.yaml", ParameterValues.Empty.WithAllowMissing());
            }
            catch (Exception ex)
            {
                Assert.Fail($"mutation {i} threw {ex}\n--- spec ---\n{mutated}");
                return;
            }

            if (!result.Success)
            {
                failures++;
                AssertLocated(result, mutated, i);
            }
        }

        // The mutations must actually exercise the error paths, not only produce valid specs.
        Assert.InRange(failures, Mutations / 4, Mutations);
    }

    [Theory]
    [InlineData("", "1:1", "the spec is empty")]
    [InlineData("deployment: a\n---\ndeployment: b\n", "2:1", "a spec holds one YAML document, but a second one starts here")]
    [InlineData("deployment: a\ntiers: *missing\n", "2:8", "alias '*missing' refers to no anchor")]
    [InlineData("deployment: a\ntiers:\n\tweb: {}\n", "3:1", "YAML syntax: while scanning a mapping, found invalid tab as indentation")]
    [InlineData("deployment: \"unterminated\n", "1:13", "YAML syntax: while scanning a quoted scalar, found unexpected end of stream")]
    [InlineData("- just\n- a list\n", "1:1", "expected a mapping, found a list")]
    public void Parse_BrokenYaml_ReportsOneLocatedError(string yaml, string location, string message)
    {
        var result = SpecFiles.Parse(yaml);

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal($"strata.yaml:{location}", error.Location.ToString());
        Assert.EndsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AnchorsAndAliases_AreResolved()
    {
        var yaml = "deployment: demo\nimages:\n  app: { from: ./app, run: server }\ntiers:\n  a: &common { image: app, servers: 2 }\n  b: *common\n";

        var result = SpecFiles.Parse(yaml);

        Assert.True(result.Success, SpecFiles.Render(result));
        Assert.Equal([2, 2], result.Spec!.Tiers.Select(t => t.Servers.Desired));
    }

    [Fact]
    public void Load_MissingFile_IsDiagnosticNotException()
    {
        var result = SpecLoader.Load("/nonexistent/strata.yaml", ParameterValues.Empty);

        var error = Assert.Single(result.Diagnostics);
        Assert.StartsWith("/nonexistent/strata.yaml: error: cannot read the spec:", error.ToString(), StringComparison.Ordinal);
    }

    // How long this takes is measured by bench/Strata.Bench (target and figures in bench/README.md), not here.
    [Fact]
    public void Parse_ThousandTiersTenThousandServers_ReadsEveryTier()
    {
        var yaml = LargeSpec(tiers: 1000, serversPerTier: 10);

        var result = SpecLoader.Parse(yaml, "big.yaml", ParameterValues.Empty);

        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Take(5)));
        Assert.Equal(1000, result.Spec!.Tiers.Count);
        Assert.Equal(10_000, result.Spec.Tiers.Sum(t => t.Servers.Desired));
    }

    private static string LargeSpec(int tiers, int serversPerTier)
    {
        var yaml = new StringBuilder("deployment: big\nimages:\n  app: { from: ./app, run: \"serve ${self.address}\" }\ntiers:\n");
        for (var i = 0; i < tiers; i++)
        {
            var env = i == 0 ? "" : $", env: {{ UP: \"${{tiers.t{i - 1}.servers[0].address}}\" }}";
            yaml.Append($"  t{i}: {{ image: app, servers: {serversPerTier}, ports: [8000], health: {{ http: /healthz, interval: 2s }}{env} }}\n");
        }

        yaml.Append("loadBalancers:\n");
        for (var i = 0; i < 50; i++)
        {
            yaml.Append($"  lb{i}: {{ listen: 127.0.0.1:{9000 + i}, to: t{i}:8000 }}\n");
        }

        yaml.Append("firewall:\n");
        for (var i = 0; i < 1000; i++)
        {
            yaml.Append($"  - any -> t{i}:8000\n");
        }

        return yaml.ToString();
    }

    private static string Mutate(string source, Random random)
    {
        var lines = source.Split('\n').ToList();
        var count = random.Next(1, 4);
        for (var m = 0; m < count && lines.Count > 0; m++)
        {
            var line = random.Next(lines.Count);
            switch (random.Next(6))
            {
                case 0:
                    lines.RemoveAt(line);
                    break;
                case 1:
                    lines.Insert(line, lines[line]);
                    break;
                case 2:
                    lines[line] = Insert(lines[line], s_fragments[random.Next(s_fragments.Length)], random);
                    break;
                case 3:
                    lines[line] = Insert(lines[line], ((char)random.Next(32, 127)).ToString(), random);
                    break;
                case 4:
                    lines[line] = Retype(lines[line], random);
                    break;
                default:
                    lines[line] = lines[line].Length == 0 ? lines[line] : lines[line].Remove(random.Next(lines[line].Length), 1);
                    break;
            }
        }

        return string.Join('\n', lines);
    }

    /// <summary>Replaces a value with one of another type: a list, a mapping, a number or nothing.</summary>
    private static string Retype(string line, Random random)
    {
        var colon = line.IndexOf(": ", StringComparison.Ordinal);
        if (colon < 0)
        {
            return line;
        }

        string[] values = ["[1, 2]", "{ a: 1 }", "42", "", "\"${params.webServers}\"", "-3", "0s", "yes"];
        return line[..(colon + 2)] + values[random.Next(values.Length)];
    }

    private static string Insert(string line, string text, Random random) => line.Insert(random.Next(line.Length + 1), text);

    private static void AssertLocated(SpecLoadResult result, string spec, int mutation)
    {
        Assert.Null(result.Spec);
        Assert.Contains(result.Diagnostics, d => d.IsError);
        var lineCount = spec.Split('\n').Length + 1;
        foreach (var diagnostic in result.Diagnostics)
        {
            var where = $"mutation {mutation}: {diagnostic}\n--- spec ---\n{spec}";
            Assert.True(diagnostic.Location.File == "strata.yaml", where);
            Assert.True(diagnostic.Location.Line >= 1 && diagnostic.Location.Line <= lineCount, where);
            Assert.True(diagnostic.Location.Column >= 1, where);
            Assert.Matches("^STR0[0-9]{2}$", diagnostic.Code);
            Assert.False(string.IsNullOrWhiteSpace(diagnostic.Message), where);
        }
    }
}
