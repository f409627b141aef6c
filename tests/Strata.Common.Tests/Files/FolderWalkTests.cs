using Strata.Common.Files;
using Strata.Testing;

namespace Strata.Common.Tests.Files;

[Trait("kind", "unit")]
public sealed class FolderWalkTests
{
    [Fact]
    public void DepthFirst_EachFolderBeforeWhatItHolds_NamesInOrdinalOrder_LinksNotFollowed()
    {
        using var folder = new TemporaryDirectory();
        folder.WriteFile("b/z.txt", "z");
        folder.WriteFile("b/a/deep.txt", "d");
        folder.WriteFile("B.txt", "B");
        folder.WriteFile("a.txt", "a");
        Directory.CreateSymbolicLink(folder.Combine("c"), folder.Combine("b"));

        var paths = FolderWalk.DepthFirst(folder.Path).Select(e => e.Path).ToList();

        Assert.Equal(["B.txt", "a.txt", "b", "c", "b/a", "b/z.txt", "b/a/deep.txt"], paths);
    }

    [Fact]
    public void DepthFirst_SubfolderDeletedWhileWalked_YieldsWhatIsLeft()
    {
        using var folder = new TemporaryDirectory();
        folder.WriteFile("a/one.txt", "1");
        folder.WriteFile("b/two.txt", "2");

        var paths = new List<string>();
        foreach (var (path, _) in FolderWalk.DepthFirst(folder.Path))
        {
            paths.Add(path);
            if (path == "b")
            {
                // The application deletes a folder between its listing and its walk.
                Directory.Delete(folder.Combine("a"), recursive: true);
            }
        }

        Assert.Equal(["a", "b", "b/two.txt"], paths);
    }

    [Fact]
    public void DepthFirst_RootMissing_Throws()
    {
        using var folder = new TemporaryDirectory();

        Assert.Throws<DirectoryNotFoundException>(() => FolderWalk.DepthFirst(folder.Combine("missing")).ToList());
    }
}
