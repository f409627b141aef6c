using System.Reflection;
using Xunit;

namespace Strata.Testing;

/// <summary>
/// Every test class says what kind it is, so that <c>./test.sh --unit</c> can run the in-process tests alone:
/// <c>[Trait("kind", "unit")]</c> for tests that need nothing but the .NET SDK and a shell, <c>[Trait("kind", "e2e")]</c>
/// for tests of real processes and real services (the CLI, the control plane, load balancers, HAProxy, PostgreSQL,
/// wrk, an S3 server, servers of the local provider).
/// </summary>
public static class TestKinds
{
    public const string Trait = "kind";
    public const string Unit = "unit";
    public const string EndToEnd = "e2e";

    /// <summary>The test classes of an assembly that carry no kind, or a kind other than the two above.</summary>
    public static IReadOnlyList<string> Untagged(Assembly assembly) =>
        [.. assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && HasTests(t))
            .Where(t => KindOf(t) is not (Unit or EndToEnd))
            .Select(t => t.FullName!)
            .Order(StringComparer.Ordinal)];

    private static bool HasTests(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.Instance).Any(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any());

    // TraitAttribute keeps its arguments only in the attribute's metadata.
    private static string? KindOf(Type type) =>
        type.CustomAttributes
            .Where(a => a.AttributeType == typeof(TraitAttribute) && a.ConstructorArguments.Count == 2 && (string?)a.ConstructorArguments[0].Value == Trait)
            .Select(a => (string?)a.ConstructorArguments[1].Value)
            .FirstOrDefault();
}
