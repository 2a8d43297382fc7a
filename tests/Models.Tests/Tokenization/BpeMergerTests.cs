using LlmQueue.Models.Tokenization;

namespace LlmQueue.Models.Tests.Tokenization;

/// <summary>The merge loops (array scan for short words, heap for long ones) against the textbook definition.</summary>
public class BpeMergerTests
{
    [Theory]
    [InlineData(2, 40)]
    [InlineData(41, 60)]
    [InlineData(200, 700)]
    [InlineData(500, 1200)]
    public void Merges_equal_repeatedly_merging_the_lowest_ranked_leftmost_pair(int minLength, int maxLength)
    {
        var random = new Random(minLength);
        for (var sample = 0; sample < 200; sample++)
        {
            // Few symbols, many rules: long chains of merges, many equal pairs side by side.
            var rules = new Dictionary<(int, int), MergeRule>();
            var table = new MergeTable(64);
            for (var rank = 0; rank < 60; rank++)
            {
                var pair = (random.Next(6), random.Next(6));
                var rule = new MergeRule(rank, random.Next(6));
                if (rules.TryAdd(pair, rule))
                {
                    table.TryAdd(pair.Item1, pair.Item2, rule);
                }
            }

            var symbols = Enumerable.Range(0, random.Next(minLength, maxLength)).Select(_ => random.Next(6)).ToArray();
            var expected = Textbook(symbols.ToList(), rules);
            var pairs = new PairCache();
            pairs.Serve(table);
            var count = BpeMerger.Apply(pairs, symbols);
            Assert.Equal(expected, symbols[..count]);
        }
    }

    private static List<int> Textbook(List<int> symbols, Dictionary<(int, int), MergeRule> rules)
    {
        while (true)
        {
            var best = -1;
            for (var i = 0; i + 1 < symbols.Count; i++)
            {
                if (rules.TryGetValue((symbols[i], symbols[i + 1]), out var rule)
                    && (best < 0 || rule.Rank < rules[(symbols[best], symbols[best + 1])].Rank))
                {
                    best = i;
                }
            }

            if (best < 0)
            {
                return symbols;
            }

            symbols[best] = rules[(symbols[best], symbols[best + 1])].MergedId;
            symbols.RemoveAt(best + 1);
        }
    }
}
