using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Strata.Common.Tests.Repository;

/// <summary>
/// Every file of <c>src/</c> reads in one sitting and every method on one screen: a file over
/// <see cref="MaxFileLines"/> lines or a method over <see cref="MaxMethodLines"/> is split along its concerns (partial
/// classes by concern, a section reader of its own, a named step), not left to grow.
/// </summary>
[Trait("kind", "unit")]
public sealed class SourceShapeTests
{
    private const int MaxFileLines = 350;
    private const int MaxMethodLines = 50;

    [Fact]
    public void SourceFiles_AreAtMost350Lines()
    {
        var tooLong = SourceFiles()
            .Select(f => (File: f, Lines: File.ReadLines(f).Count()))
            .Where(f => f.Lines > MaxFileLines)
            .Select(f => $"{Relative(f.File)}: {f.Lines} lines")
            .ToList();

        Assert.True(tooLong.Count == 0, $"over {MaxFileLines} lines:\n" + string.Join('\n', tooLong));
    }

    [Fact]
    public void Methods_AreAtMost50Lines()
    {
        var tooLong = SourceFiles().SelectMany(LongMethods).ToList();

        Assert.True(tooLong.Count == 0, $"over {MaxMethodLines} lines (declaration to closing brace):\n" + string.Join('\n', tooLong));
    }

    [Fact]
    public void LongMethods_FindsAMethodOverTheLimit()
    {
        // The check itself: a method of 51 lines is found, with its file and line.
        var body = string.Concat(Enumerable.Repeat("        _ = 1;\n", MaxMethodLines - 2));
        var tree = CSharpSyntaxTree.ParseText($"class C\n{{\n    void Long()\n    {{\n{body}    }}\n\n    void Short() {{ }}\n}}\n", path: "C.cs");

        Assert.Equal(["C.cs:3 Long: 51 lines"], LongMethods(tree));
    }

    private static IEnumerable<string> LongMethods(string file) =>
        LongMethods(CSharpSyntaxTree.ParseText(File.ReadAllText(file), path: Relative(file)));

    private static IEnumerable<string> LongMethods(SyntaxTree tree)
    {
        foreach (var node in tree.GetRoot().DescendantNodes())
        {
            var name = node switch
            {
                MethodDeclarationSyntax m when m.Body is not null || m.ExpressionBody is not null => m.Identifier.Text,
                ConstructorDeclarationSyntax c => c.Identifier.Text,
                LocalFunctionStatementSyntax l => l.Identifier.Text,
                AccessorDeclarationSyntax a when a.Body is not null || a.ExpressionBody is not null => a.Keyword.Text,
                _ => null,
            };
            if (name is null)
            {
                continue;
            }

            // The span without leading trivia: a doc comment does not count.
            var span = tree.GetLineSpan(node.Span);
            var lines = span.EndLinePosition.Line - span.StartLinePosition.Line + 1;
            if (lines > MaxMethodLines)
            {
                yield return $"{tree.FilePath}:{span.StartLinePosition.Line + 1} {name}: {lines} lines";
            }
        }
    }

    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    private static string Relative(string file) => Path.GetRelativePath(RepositoryRoot(), file);

    private static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        var folder = new DirectoryInfo(Path.GetDirectoryName(sourceFile)!);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Strata.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("Strata.sln not found above the test folder");
    }
}
