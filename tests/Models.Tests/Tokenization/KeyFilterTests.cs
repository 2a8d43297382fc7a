using LlmQueue.Models.Tokenization;

namespace LlmQueue.Models.Tests.Tokenization;

public class KeyFilterTests
{
    [Theory]
    // The merge table's sizes: 4 filter bits per slot, slots at most half used (8 bits per key) and at least a
    // quarter (16): Llama 3's 280k rules have 15 bits each, Gemma 3's 515k 16, Qwen 3's 151k 14.
    [InlineData(8, 0.05)]
    [InlineData(15, 0.012)]
    public void Holds_every_added_pair_and_rules_out_nearly_all_others(int bitsPerKey, double falsePositiveLimit)
    {
        const int TableSlots = 1 << 18;
        var keyCount = TableSlots * 4 / bitsPerKey;
        var filter = new KeyFilter(TableSlots);
        var random = new Random(11);
        var added = new HashSet<ulong>();
        for (var i = 0; added.Count < keyCount; i++)
        {
            // Packed (left, right) + 1 as the merge table stores them; small ids and equal pairs are common there.
            var left = i % 4 == 0 ? random.Next(256) : random.Next(262_144);
            var right = i % 16 == 0 ? left : random.Next(262_144);
            var key = (((ulong)(uint)left << 32) | (uint)right) + 1;
            added.Add(key);
            filter.Add(key);
        }

        Assert.All(added, key => Assert.True(filter.MayContain(key)));

        var falsePositives = 0;
        var probes = 0;
        while (probes < 200_000)
        {
            var key = (((ulong)(uint)random.Next(262_144) << 32) | (uint)random.Next(262_144)) + 1;
            if (!added.Contains(key))
            {
                probes++;
                falsePositives += filter.MayContain(key) ? 1 : 0;
            }
        }

        Assert.InRange((double)falsePositives / probes, 0, falsePositiveLimit);
    }
}
