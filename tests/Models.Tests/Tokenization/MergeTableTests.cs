using LlmQueue.Models.Tokenization;

namespace LlmQueue.Models.Tests.Tokenization;

public class MergeTableTests
{
    [Fact]
    public void Finds_every_rule_including_pairs_of_equal_tokens_and_keeps_the_first_rank()
    {
        // Pairs of equal ids all hashed to 0 under the old key; (0, 0) is a real pair too.
        var reference = new Dictionary<(int, int), MergeRule>();
        var table = new MergeTable(4);
        var random = new Random(7);
        for (var rank = 0; rank < 50_000; rank++)
        {
            var (left, right) = rank % 3 == 0 ? (rank % 1000, rank % 1000) : (random.Next(300_000), random.Next(300_000));
            var rule = new MergeRule(rank, random.Next(300_000));
            Assert.Equal(reference.TryAdd((left, right), rule), table.TryAdd(left, right, rule));
        }

        Assert.Equal(reference.Count, table.Count);
        foreach (var ((left, right), rule) in reference)
        {
            Assert.True(table.TryGet(left, right, out var found));
            Assert.Equal(rule, found);
        }

        for (var probe = 0; probe < 10_000; probe++)
        {
            var (left, right) = (random.Next(300_000), random.Next(300_000));
            Assert.Equal(reference.ContainsKey((left, right)), table.TryGet(left, right, out _));
        }
    }
}
