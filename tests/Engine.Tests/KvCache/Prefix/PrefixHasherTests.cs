using System.Security.Cryptography;
using System.Text;
using LlmQueue.Engine.KvCache.Prefix;

namespace LlmQueue.Engine.Tests.KvCache.Prefix;

public class PrefixHasherTests
{
    [Fact]
    public void Root_and_block_hashes_follow_the_documented_byte_layout()
    {
        var hasher = new PrefixHasher("gemma-3-1b@abc");
        var hashes = new List<BlockHash>();
        int[] tokens = [1, -2, 300_000, 4, 5, 6, 7, 8, 9];

        hasher.AppendBlockHashes(tokens, 4, [0xAB], Encoding.UTF8.GetBytes("tenant-α"), hashes);

        var root = SHA256.HashData(Encoding.UTF8.GetBytes("llmq.prefix.v1\ngemma-3-1b@abc"));
        var first = SHA256.HashData(Layout(root, tokens[..4], [0xAB], Encoding.UTF8.GetBytes("tenant-α")));
        var second = SHA256.HashData(Layout(first, tokens[4..8], [0xAB], []));
        Assert.Equal(Convert.ToHexStringLower(root), hasher.Root.ToString());
        Assert.Equal(2, hashes.Count);
        Assert.Equal(Convert.ToHexStringLower(first), hashes[0].ToString());
        Assert.Equal(Convert.ToHexStringLower(second), hashes[1].ToString());
    }

    [Fact]
    public void Salt_model_and_extra_keys_each_change_every_block_hash()
    {
        int[] tokens = [1, 2, 3, 4, 5, 6, 7, 8];
        var baseline = Hashes("m", tokens, [], "a");

        Assert.Equal(baseline, Hashes("m", tokens, [], "a"));
        Assert.All(baseline.Zip(Hashes("m", tokens, [], "b")), p => Assert.NotEqual(p.First, p.Second));
        Assert.All(baseline.Zip(Hashes("n", tokens, [], "a")), p => Assert.NotEqual(p.First, p.Second));
        Assert.All(baseline.Zip(Hashes("m", tokens, [1], "a")), p => Assert.NotEqual(p.First, p.Second));
    }

    [Fact]
    public void Hash_round_trips_through_its_bytes()
    {
        var hash = Hashes("m", [1, 2], [], "")[0];
        Assert.Equal(hash, new BlockHash(hash.ToArray()));
        Assert.Throws<ArgumentException>(() => new BlockHash(new byte[31]));
    }

    private static List<BlockHash> Hashes(string model, int[] tokens, byte[] extra, string salt)
    {
        var hashes = new List<BlockHash>();
        new PrefixHasher(model).AppendBlockHashes(tokens, 2, extra, Encoding.UTF8.GetBytes(salt), hashes);
        return hashes;
    }

    // Independent writer of the layout in PrefixHasher's documentation.
    private static byte[] Layout(byte[] parent, int[] tokens, byte[] extra, byte[] salt)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write(parent);
        writer.Write(tokens.Length);
        foreach (var token in tokens)
        {
            writer.Write(token);
        }

        writer.Write(extra.Length);
        writer.Write(extra);
        writer.Write(salt.Length);
        writer.Write(salt);
        writer.Flush();
        return stream.ToArray();
    }
}
