using LlmQueue.Engine.KvCache.Prefix;

namespace LlmQueue.Engine.Tests.KvCache.Prefix;

public class PrefixHitRuleTests
{
    // Type 0: full attention. Type 1: sliding window of 8 tokens, blocks of 4: a hit at k blocks needs
    // the keys from token 4k - 7 on, i.e. sliding blocks (4k - 7) / 4 .. k - 1.
    private const int Blocks = 4;

    [Theory]
    [InlineData("1111", "1111", 4)]
    [InlineData("1111", "0011", 4)] // the window at 16 tokens needs sliding blocks 2..3 only
    [InlineData("1111", "1011", 4)]
    [InlineData("1111", "1110", 3)] // at 12 tokens: blocks 1..2
    [InlineData("1111", "0110", 3)]
    [InlineData("1101", "1111", 2)] // full attention needs every block
    [InlineData("1111", "0100", 0)] // at 8 tokens sliding needs blocks 0..1
    [InlineData("0111", "1111", 0)]
    public void Longest_hit_is_the_longest_prefix_every_type_serves(string full, string sliding, int expected)
    {
        var present = (full + sliding).Select(c => c == '1').ToArray();
        var scratch = new int[present.Length];

        var hit = PrefixHitRule.LongestHit(present, 2, Blocks, FirstNeeded, scratch);

        Assert.Equal(expected, hit);
    }

    private static int FirstNeeded(int type, int hitBlocks) => type == 0 ? 0 : Math.Max(0, (hitBlocks * 4) - 8 + 1) / 4;
}
