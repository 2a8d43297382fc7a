using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Engine.Runners;
using LlmQueue.Models.Weights;

namespace LlmQueue.Serving.Tests.Redis;

/// <summary>Block-shaped values and tier settings for the Redis tests.</summary>
internal static class TestBlocks
{
    /// <summary>One 16-token block of 4 layers with one KV head of 256 dims in bf16: 64 KiB.</summary>
    public static readonly KvBlockHeader Header = new(new KvPageFormat(TensorDType.BF16, KvPageFormat.HeadMajorLayout), LayerCount: 4, KvHeads: 1, HeadDim: 256, BlockTokens: 16, TokenCount: 16, PayloadLength: 4 * 16 * 2 * 256 * 2);

    public static RemoteKvOptions Options(string connectionString) => new()
    {
        ConnectionString = connectionString,
        Secret = "worker-tests-secret-0001",
        TimeoutMilliseconds = 5_000,
    };

    /// <summary>A key namespace of its own, so tests sharing one Redis never see each other's keys.</summary>
    public static string UniqueKey(string name) => $"llmq-test:{Guid.NewGuid():N}:{name}";

    public static byte[] Payload(int seed)
    {
        var payload = new byte[Header.PayloadLength];
        new Random(seed).NextBytes(payload);
        return payload;
    }
}
