using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Tests.Planning;

public class KvGeometryTests
{
    [Fact]
    public void Layer_offsets_and_page_strides_follow_the_pool_layout_in_bf16_elements()
    {
        // Gemma-3-like: 5 sliding : 1 global, one KV head of 256, 16-token blocks.
        var config = new ModelConfig
        {
            HiddenSize = 640, IntermediateSize = 2048, NumLayers = 6, NumHeads = 4, NumKvHeads = 1, HeadDim = 256, VocabSize = 1000,
            SlidingWindow = 512, LayerTypes = [.. Enumerable.Repeat(AttentionKind.Sliding, 5), AttentionKind.Full],
        };
        var layout = KvGeometry.LayoutFor(config, 16);
        var geometry = new KvGeometry(layout, 1, 256);
        long layerBlock = 2L * 16 * 256; // K and V of one block, elements
        Assert.Equal(2, layout.TypeCount);
        for (int layer = 0; layer < 5; layer++)
        {
            Assert.Equal(layout.Types[layout.TypeOfLayer(layer)].SlidingWindow, 512);
            Assert.Equal(layer * layerBlock, geometry.LayerOffset(layer));
            Assert.Equal(5 * layerBlock, geometry.PageStride(layer));
        }

        Assert.Equal(0, geometry.LayerOffset(5));
        Assert.Equal(layerBlock, geometry.PageStride(5));
        Assert.Equal(3 * layout.LargePageBytes, geometry.AllocationBytes(3));
    }

    [Fact]
    public void A_layout_cut_for_another_dtype_is_refused()
    {
        var f32 = KvPoolLayout.FromLayers([new KvLayerSpec(2, 64, 4)], 16);
        Assert.Throws<ArgumentException>(() => new KvGeometry(f32, 2, 64));
    }
}
