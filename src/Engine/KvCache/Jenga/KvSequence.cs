using System.Runtime.InteropServices;
using System.Text;
using LlmQueue.Engine.KvCache.Prefix;

namespace LlmQueue.Engine.KvCache.Jenga;

/// <summary>
/// One request's handle into a <see cref="JengaKvCache"/>: per layer type a block table indexed by logical
/// block (entry = small page id, -1 where a sliding window has released the block), plus what the pool
/// needs to resume it. Created by <see cref="JengaKvCache.CreateSequence"/>; reusable after a preemption.
/// </summary>
public sealed class KvSequence
{
    internal KvSequence(int types, string? cacheSalt, byte[] extraKeys)
    {
        Tables = new List<int>[types];
        for (var t = 0; t < types; t++)
        {
            Tables[t] = [];
        }

        OpenLargePage = new int[types];
        Array.Fill(OpenLargePage, -1);
        ReleasedBlocks = new int[types];
        Salt = cacheSalt is null ? [] : Encoding.UTF8.GetBytes(cacheSalt);
        ExtraKeys = extraKeys;
    }

    /// <summary>Tokens whose KV is in the pool (a prefix hit counts). The pool is its only writer.</summary>
    public int ComputedTokens { get; internal set; }

    /// <summary>Tokens the block tables have pages for (computed plus the chunk being computed).</summary>
    public int AllocatedTokens { get; internal set; }

    /// <summary>Tokens the last admission took from cached blocks (a local hit plus blocks loaded from outside).</summary>
    public int PrefixHitTokens { get; internal set; }

    internal List<int>[] Tables { get; }

    internal int[] OpenLargePage { get; }

    /// <summary>Per type, blocks below this index were already released (sliding windows).</summary>
    internal int[] ReleasedBlocks { get; }

    /// <summary>Chained hashes of this sequence's full blocks, kept across preemptions (they depend on tokens only).</summary>
    internal List<BlockHash> Hashes { get; } = [];

    /// <summary>Blocks already offered to the prefix cache.</summary>
    internal int RegisteredBlocks { get; set; }

    internal byte[] Salt { get; }

    internal byte[] ExtraKeys { get; }

    /// <summary>The block table the runner reads for layers of <paramref name="type"/>.</summary>
    public ReadOnlySpan<int> BlockTable(int type) => CollectionsMarshal.AsSpan(Tables[type]);

    /// <summary>Hash of full block <paramref name="block"/> (hex gives the Redis key), once computed.</summary>
    public BlockHash BlockHashAt(int block) => Hashes[block];

    public int HashedBlocks => Hashes.Count;
}
