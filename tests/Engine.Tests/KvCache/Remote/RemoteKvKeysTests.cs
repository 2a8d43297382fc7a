using System.Security.Cryptography;
using System.Text;
using LlmQueue.Engine.KvCache.Prefix;
using LlmQueue.Engine.KvCache.Remote;

namespace LlmQueue.Engine.Tests.KvCache.Remote;

public class RemoteKvKeysTests
{
    [Fact]
    public void Key_is_prefix_model_hash_layer_type_and_block_hash()
    {
        var block = new BlockHash(SHA256.HashData("block"u8));
        var modelHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("gemma-3-270m|config")))[..16];

        var key = new RemoteKvKeys("llmq:kv", "gemma-3-270m|config").For(1, block);

        Assert.Equal($"llmq:kv:{modelHash}:1:{block}", key);
        Assert.Equal(8 + 17 + 2 + 64, key.Length);
    }

    [Fact]
    public void Models_and_layer_types_get_different_keys_for_the_same_block()
    {
        var block = new BlockHash(SHA256.HashData("block"u8));
        var keys = new RemoteKvKeys("p", "model-a");

        Assert.NotEqual(keys.For(0, block), keys.For(1, block));
        Assert.NotEqual(keys.For(0, block), new RemoteKvKeys("p", "model-b").For(0, block));
    }
}
