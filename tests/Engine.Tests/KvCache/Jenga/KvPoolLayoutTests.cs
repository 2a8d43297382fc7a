using LlmQueue.Engine.KvCache.Jenga;

namespace LlmQueue.Engine.Tests.KvCache.Jenga;

public class KvPoolLayoutTests
{
    [Fact]
    public void Gemma3_1b_groups_into_sliding_and_full_types_with_an_lcm_large_page()
    {
        // 26 layers, every 6th (5, 11, 17, 23) global; kv 1 x 256 in bf16.
        var layers = Enumerable.Range(0, 26).Select(i => new KvLayerSpec(1, 256, 2, i % 6 == 5 ? null : 512)).ToList();

        var layout = KvPoolLayout.FromLayers(layers, blockTokens: 16);

        Assert.Equal(2, layout.TypeCount);
        Assert.Equal((22, 512), (layout.Types[0].LayerCount, layout.Types[0].SlidingWindow));
        Assert.Equal((4, (int?)null), (layout.Types[1].LayerCount, layout.Types[1].SlidingWindow));
        Assert.Equal(16L * 1024 * 22, layout.SmallPageBytes(0));
        Assert.Equal(16L * 1024 * 4, layout.SmallPageBytes(1));
        Assert.Equal(16L * 1024 * 44, layout.LargePageBytes); // lcm(22, 4) = 44 layer-blocks
        Assert.Equal((2, 11), (layout.SmallPagesPerLargePage(0), layout.SmallPagesPerLargePage(1)));
        Assert.Equal((1, 0), (layout.TypeOfLayer(5), layout.SlotOfLayer(5)));
        Assert.Equal((1, 3), (layout.TypeOfLayer(23), layout.SlotOfLayer(23)));
        Assert.Equal((0, 5), (layout.TypeOfLayer(6), layout.SlotOfLayer(6)));
    }

    [Fact]
    public void Layer_blocks_of_all_layers_and_pages_never_overlap_and_fill_their_large_page()
    {
        var layout = KvPoolLayout.FromTypes([new KvLayerType("a", 3, 12, 8), new KvLayerType("b", 2, 20)], blockTokens: 4);
        for (var type = 0; type < layout.TypeCount; type++)
        {
            // Only pages of one type live in a large page; check each type over large page 1 (so offsets are not all from 0).
            var claimed = new HashSet<long>();
            var perLarge = layout.SmallPagesPerLargePage(type);
            for (var layer = 0; layer < layout.LayerCount; layer++)
            {
                if (layout.TypeOfLayer(layer) != type)
                {
                    continue;
                }

                var bytes = layout.LayerBlockBytes(layer);
                Assert.Equal(4 * layout.Types[type].BytesPerTokenPerLayer, bytes);
                for (var page = perLarge; page < 2 * perLarge; page++)
                {
                    var offset = layout.LayerBlockOffset(layer, page);
                    for (var b = 0L; b < bytes; b++)
                    {
                        Assert.True(claimed.Add(offset + b), $"byte {offset + b} claimed twice");
                    }
                }
            }

            Assert.Equal(layout.LargePageBytes, claimed.Count);
            Assert.Equal(layout.LargePageBytes, claimed.Min());
        }
    }

    [Fact]
    public void Bad_layer_descriptions_are_named()
    {
        var error = Assert.Throws<ArgumentException>(() => KvPoolLayout.FromLayers([new KvLayerSpec(1, 64, 2), new KvLayerSpec(0, 64, 2)], 16));
        Assert.Contains("layer 1", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => KvPoolLayout.FromLayers([new KvLayerSpec(1, 64, 2)], 0));
        var type = Assert.Throws<ArgumentException>(() => KvPoolLayout.FromTypes([new KvLayerType("w", 1, 8, 0)], 16));
        Assert.Contains("'w'", type.Message, StringComparison.Ordinal);
    }
}
