using LlmQueue.Engine.KvCache;

namespace LlmQueue.Engine.Tests.KvCache;

public class KvCacheManagerTests
{
    [Fact]
    public void Grows_a_block_table_to_cover_the_requested_tokens()
    {
        var kv = new KvCacheManager(numBlocks: 10, blockSize: 4);
        var table = new List<int>();

        Assert.True(kv.TryEnsureCapacity(table, 5));
        Assert.Equal(2, table.Count);
        Assert.True(kv.TryEnsureCapacity(table, 8));
        Assert.Equal(2, table.Count);
        Assert.True(kv.TryEnsureCapacity(table, 9));
        Assert.Equal(3, table.Count);
        Assert.Equal(7, kv.FreeBlocks);
        Assert.Equal(3, table.Distinct().Count());
    }

    [Fact]
    public void Refuses_without_partial_allocation_when_the_pool_is_short()
    {
        var kv = new KvCacheManager(numBlocks: 3, blockSize: 4);
        var table = new List<int>();

        Assert.False(kv.TryEnsureCapacity(table, 13));
        Assert.Empty(table);
        Assert.Equal(3, kv.FreeBlocks);
    }

    [Fact]
    public void Freed_blocks_return_to_the_pool_and_double_free_is_caught()
    {
        var kv = new KvCacheManager(numBlocks: 4, blockSize: 2);
        var a = new List<int>();
        Assert.True(kv.TryEnsureCapacity(a, 8));
        var copy = a.ToList();

        kv.Free(a);

        Assert.Empty(a);
        Assert.Equal(4, kv.FreeBlocks);
        Assert.Throws<InvalidOperationException>(() => kv.Free(copy));
    }
}
