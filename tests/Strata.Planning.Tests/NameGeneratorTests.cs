using Strata.Planning.Naming;

namespace Strata.Planning.Tests;

[Trait("kind", "unit")]
public sealed class NameGeneratorTests
{
    [Fact]
    public void Next_Name_IsDeploymentLogicalAndSixBase36Characters()
    {
        var names = new NameGenerator(new Random(1));

        Assert.Matches("^hello-web-[0-9a-z]{6}$", names.Next("hello", "web"));
    }

    [Fact]
    public void Next_SameSeed_SameNames()
    {
        var a = new NameGenerator(new Random(5));
        var b = new NameGenerator(new Random(5));

        Assert.Equal(
            Enumerable.Range(0, 5).Select(_ => a.Next("hello", "web")),
            Enumerable.Range(0, 5).Select(_ => b.Next("hello", "web")));
    }

    [Fact]
    public void Next_NameTaken_MakesAnother()
    {
        var taken = new NameGenerator(new Random(3)).Next("hello", "web");
        var names = new NameGenerator(new Random(3), [taken]);

        Assert.NotEqual(taken, names.Next("hello", "web"));
    }

    [Fact]
    public void Next_ManyNames_AllUnique()
    {
        var names = new NameGenerator(new Random(11));

        var made = Enumerable.Range(0, 10_000).Select(_ => names.Next("big", "web")).ToList();

        Assert.Equal(made.Count, made.Distinct().Count());
    }

    [Fact]
    public void Next_LongParts_TruncatedToMaxLengthKeepingBoth()
    {
        var names = new NameGenerator(new Random(2));

        var name = names.Next(new string('d', 40), new string('l', 40));

        Assert.True(name.Length <= NameGenerator.MaxLength, name);
        Assert.Matches("^d+-l+-[0-9a-z]{6}$", name);
        Assert.Contains(new string('l', 20), name);
    }

    [Fact]
    public void Next_UnusualCharacters_Sanitized()
    {
        var names = new NameGenerator(new Random(2));

        Assert.Matches("^my-app-db-data-[0-9a-z]{6}$", names.Next("My_App", "db.data"));
    }
}
