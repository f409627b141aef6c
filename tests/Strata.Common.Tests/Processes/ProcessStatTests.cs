using System.Diagnostics;
using Strata.Common.Processes;
using Strata.Testing;

namespace Strata.Common.Tests.Processes;

[Trait("kind", "unit")]
public sealed class ProcessStatTests
{
    [Fact]
    public void Parse_CommandNameWithSpacesAndParentheses_ReadsTheFieldsAfterIt()
    {
        var stat = ProcessStat.Parse("4242 (a) (b c) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615");

        Assert.Equal(new ProcessStat('S', 17, 4242, 987654, 4194560), stat);
    }

    [Theory]
    [InlineData("")]
    [InlineData("4242 (sleep")]
    [InlineData("4242 (sleep) S 17 4242")]
    public void Parse_TextCutShort_ReturnsNull(string text)
    {
        Assert.Null(ProcessStat.Parse(text));
    }

    [Theory]
    [InlineData('Z', false)]
    [InlineData('X', false)]
    [InlineData('S', true)]
    [InlineData('D', true)]
    [InlineData('T', true)]
    public void IsAlive_State_IsFalseOnlyForZombiesAndTheDead(char state, bool alive)
    {
        Assert.Equal(alive, new ProcessStat(state, 1, 1, 1).IsAlive);
    }

    [Fact]
    public void Read_ThisProcess_IsAliveWithItsParent()
    {
        var stat = ProcessStat.Read(Environment.ProcessId);

        Assert.NotNull(stat);
        Assert.True(stat.Value.IsAlive);
        Assert.Equal(stat.Value.StartTime, ProcessStat.StartTimeOf(Environment.ProcessId));
        Assert.True(stat.Value.ParentId > 0);
    }

    [Fact]
    public void Read_NoSuchProcess_ReturnsNull()
    {
        Assert.Null(ProcessStat.Read(int.MaxValue));
        Assert.Null(ProcessStat.Read(0));
        Assert.Null(ProcessStat.StartTimeOf(int.MaxValue));
    }

    [Fact]
    public async Task Read_ProgramNamedWithParenthesesAndSpaces_ReadsItsParentAndStartTime()
    {
        using var folder = new TemporaryDirectory("strata-stat");
        var program = folder.Combine("x) (y z");
        File.Copy("/bin/sleep", program);
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var process = Process.Start(new ProcessStartInfo(program, "30") { UseShellExecute = false })!;
        try
        {
            var stat = ProcessStat.Read(process.Id);

            Assert.Equal(Environment.ProcessId, stat?.ParentId);
            Assert.True(stat?.StartTime > 0);
            Assert.Contains("(x) (y z)", await File.ReadAllTextAsync($"/proc/{process.Id}/stat").WaitAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        }
        finally
        {
            process.Kill();
        }
    }
}
