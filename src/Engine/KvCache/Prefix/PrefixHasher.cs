using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace LlmQueue.Engine.KvCache.Prefix;

/// <summary>
/// Chained SHA-256 block keys, stable across processes and machines (they become Redis keys).
/// Root = SHA256(UTF-8 "llmq.prefix.v1\n" || UTF-8 model fingerprint).
/// Block = SHA256(parent hash (32 bytes) || int32 LE token count || each token as int32 LE
///   || int32 LE extra-key length || extra keys || int32 LE salt length || salt), where the salt (the
///   request's cache salt / tenant, UTF-8) is present in the first block only and empty (length 0) after:
///   through the chain it still separates every later block, so tenants never share one.
/// </summary>
public sealed class PrefixHasher
{
    private const int StackBufferBytes = 1024;
    private static readonly byte[] _rootTag = "llmq.prefix.v1\n"u8.ToArray();

    public PrefixHasher(string modelFingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelFingerprint);
        var fingerprint = Encoding.UTF8.GetBytes(modelFingerprint);
        Root = new BlockHash(SHA256.HashData([.. _rootTag, .. fingerprint]));
    }

    public BlockHash Root { get; }

    public static BlockHash HashBlock(in BlockHash parent, ReadOnlySpan<int> tokens, ReadOnlySpan<byte> extraKeys, ReadOnlySpan<byte> salt)
    {
        var length = BlockHash.Size + 4 + (tokens.Length * 4) + 4 + extraKeys.Length + 4 + salt.Length;
        byte[]? rented = null;
        var buffer = length <= StackBufferBytes ? stackalloc byte[StackBufferBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var input = buffer[..length];
            parent.WriteTo(input);
            var at = BlockHash.Size;
            BinaryPrimitives.WriteInt32LittleEndian(input[at..], tokens.Length);
            at += 4;
            foreach (var token in tokens)
            {
                BinaryPrimitives.WriteInt32LittleEndian(input[at..], token);
                at += 4;
            }

            at = WriteBytes(input, at, extraKeys);
            WriteBytes(input, at, salt);
            Span<byte> digest = stackalloc byte[BlockHash.Size];
            SHA256.HashData(input, digest);
            return new BlockHash(digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Hashes of the full blocks of <paramref name="tokens"/> from block <paramref name="firstBlock"/> on, appended to <paramref name="hashes"/> (which holds blocks 0 .. firstBlock - 1).</summary>
    public void AppendBlockHashes(ReadOnlySpan<int> tokens, int blockTokens, ReadOnlySpan<byte> extraKeys, ReadOnlySpan<byte> salt, List<BlockHash> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        for (var block = hashes.Count; (block + 1) * blockTokens <= tokens.Length; block++)
        {
            var parent = block == 0 ? Root : hashes[block - 1];
            hashes.Add(HashBlock(parent, tokens.Slice(block * blockTokens, blockTokens), extraKeys, block == 0 ? salt : default));
        }
    }

    private static int WriteBytes(Span<byte> input, int at, ReadOnlySpan<byte> bytes)
    {
        BinaryPrimitives.WriteInt32LittleEndian(input[at..], bytes.Length);
        bytes.CopyTo(input[(at + 4)..]);
        return at + 4 + bytes.Length;
    }
}
