using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Tests.Planning;

public class AttentionPartitioningTests
{
    [Fact]
    public void A_single_decode_token_is_split_to_give_every_multiprocessor_four_blocks()
    {
        // Llama-3.2-1B shape: 32 heads, 8 KV heads, 4 heads a block: 8 blocks per partition; 132 SMs want 528 blocks.
        Assert.Equal(66, AttentionPartitioning.Parts(1, 32, 8, 132, 64));
        // gemma-3-1b: 4 heads, 1 KV head: one block per partition, capped at what the reduce combines.
        Assert.Equal(AttentionPartitioning.MaxPartsPerToken, AttentionPartitioning.Parts(1, 4, 1, 132, 64));
        // A group of 8 heads takes two blocks per KV head.
        Assert.Equal(33, AttentionPartitioning.Parts(1, 64, 8, 132, 64));
    }

    [Fact]
    public void A_wide_step_uses_one_partition() =>
        Assert.Equal(1, AttentionPartitioning.Parts(512, 32, 8, 132, 64));

    [Fact]
    public void Partitions_never_exceed_what_the_partial_buffers_hold()
    {
        // 64 decode tokens x 8 blocks = 512 blocks: 528 wanted, so 2; 16 tokens: 128 blocks, 5 wanted.
        Assert.Equal(2, AttentionPartitioning.Parts(64, 32, 8, 132, 64));
        Assert.Equal(5, AttentionPartitioning.Parts(16, 32, 8, 132, 64));
        // Buffers for 2 tokens at 32 partitions hold 16 tokens at 4, fewer than the 5 wanted.
        Assert.Equal(4, AttentionPartitioning.Parts(16, 32, 8, 132, 2));
        Assert.Equal(1, AttentionPartitioning.Parts(100, 4, 1, 132, 2));
        // One token with buffers for one: 32 partitions, not the 256 wanted.
        Assert.Equal(AttentionPartitioning.BufferPartsPerToken, AttentionPartitioning.Parts(1, 4, 1, 132, 1));
    }
}
