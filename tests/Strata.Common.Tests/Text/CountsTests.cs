using Strata.Common.Text;

namespace Strata.Common.Tests.Text;

[Trait("kind", "unit")]
public sealed class CountsTests
{
    [Theory]
    [InlineData(0, "server", "0 servers")]
    [InlineData(1, "server", "1 server")]
    [InlineData(2, "volume", "2 volumes")]
    public void Of_CountAndNoun_PluralUnlessOne(int count, string noun, string expected) => Assert.Equal(expected, Counts.Of(count, noun));
}
