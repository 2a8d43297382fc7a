using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Tests.Planning;

public class AttentionPartitioningTests
{
    [Fact]
    public void A_single_decode_token_is_split_to_fill_the_device()
    {
        // Llama-3.2-1B shape: 32 heads, 8 KV heads: 8 blocks per partition; 132 SMs want 264 blocks.
        Assert.Equal(AttentionPartitioning.MaxParts, AttentionPartitioning.Parts(1, 32, 8, 132, 64));
        // gemma-3-1b: 4 heads, 1 KV head: one block per partition, capped at MaxParts.
        Assert.Equal(AttentionPartitioning.MaxParts, AttentionPartitioning.Parts(1, 4, 1, 132, 64));
    }

    [Fact]
    public void A_wide_step_uses_one_partition() =>
        Assert.Equal(1, AttentionPartitioning.Parts(512, 32, 8, 132, 64));

    [Fact]
    public void Partitions_never_exceed_what_the_partial_buffers_hold()
    {
        // 64 decode tokens x 8 blocks = 512 blocks: 264 wanted, so 1; 16 tokens: 128 blocks, 3 wanted.
        Assert.Equal(3, AttentionPartitioning.Parts(16, 32, 8, 132, 64));
        // Buffers for 2 tokens at 32 partitions hold 16 tokens at 4; 3 wanted fits.
        Assert.Equal(3, AttentionPartitioning.Parts(16, 32, 8, 132, 2));
        Assert.Equal(1, AttentionPartitioning.Parts(100, 4, 1, 132, 2));
        Assert.Equal(6, AttentionPartitioning.Parts(16, 32, 8, 400, 3));
    }
}
