using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using LlmQueue.Engine.Runners;
using LlmQueue.Models.Weights;

namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>
/// The binary value of one remote KV block (integers little-endian):
/// <code>
///  0  u32 magic "LQKV"          4  u16 format version   6  u8 KV dtype (1 bf16, 2 f16, 3 f32)   7  u8 page layout id
///  8  i32 layer count          12  i32 KV heads        16  i32 head dim
/// 20  i32 block tokens         24  i32 token count     28  i32 payload length
/// 32  payload, then 32 bytes HMAC-SHA256(secret, i32 key byte count || UTF-8 key || header || payload)
/// </code>
/// The key is under the MAC so a value copied to another key (another tenant's block) fails verification. Dtype
/// and layout id are the writing runner's <see cref="KvPageFormat"/>: a value in another format is never loaded.
/// Decoding never throws on bad bytes: it returns a verdict. Thread-safe.
/// </summary>
public sealed class KvBlockCodec
{
    public const ushort FormatVersion = 2;
    public const int HeaderBytes = 32;
    public const int MacBytes = HMACSHA256.HashSizeInBytes;

    private const uint Magic = 0x564B514C; // "LQKV" as a little-endian u32
    private const int VersionEnd = 6;
    private readonly byte[] _secret;

    public KvBlockCodec(ReadOnlySpan<byte> secret)
    {
        if (secret.IsEmpty)
        {
            throw new ArgumentException("The remote KV secret must not be empty.", nameof(secret));
        }

        _secret = secret.ToArray();
    }

    public static int ValueLength(KvBlockHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return checked(HeaderBytes + header.PayloadLength + MacBytes);
    }

    public byte[] Encode(string key, KvBlockHeader header, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(header);
        if (payload.Length != header.PayloadLength)
        {
            throw new ArgumentException($"The payload is {payload.Length} bytes but the header says {header.PayloadLength}.", nameof(payload));
        }

        var value = new byte[ValueLength(header)];
        WriteHeader(value, header);
        payload.CopyTo(value.AsSpan(HeaderBytes));
        var body = HeaderBytes + payload.Length;
        ComputeMac(key, value.AsSpan(0, body), value.AsSpan(body));
        return value;
    }

    /// <summary>
    /// Checks, in order: format and version (before anything else is trusted), length, MAC, then the
    /// authenticated header against <paramref name="expected"/>.
    /// </summary>
    public KvBlockDecodeResult Decode(string key, ReadOnlyMemory<byte> value, KvBlockHeader expected)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(expected);
        var bytes = value.Span;
        if (bytes.Length < VersionEnd)
        {
            return KvBlockDecodeResult.Rejected(KvBlockVerdict.Truncated);
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic || BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]) != FormatVersion)
        {
            return KvBlockDecodeResult.Rejected(KvBlockVerdict.ForeignVersion);
        }

        if (bytes.Length < HeaderBytes + MacBytes)
        {
            return KvBlockDecodeResult.Rejected(KvBlockVerdict.Truncated);
        }

        var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[28..]);
        var declared = HeaderBytes + (long)payloadLength + MacBytes;
        if (payloadLength < 0 || bytes.Length > declared)
        {
            return KvBlockDecodeResult.Rejected(KvBlockVerdict.Tampered);
        }

        if (bytes.Length < declared)
        {
            return KvBlockDecodeResult.Rejected(KvBlockVerdict.Truncated);
        }

        var body = HeaderBytes + payloadLength;
        Span<byte> mac = stackalloc byte[MacBytes];
        ComputeMac(key, bytes[..body], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, bytes[body..]))
        {
            return KvBlockDecodeResult.Rejected(KvBlockVerdict.Tampered);
        }

        var header = ReadHeader(bytes);
        if (header?.Format != expected.Format)
        {
            return KvBlockDecodeResult.Rejected(KvBlockVerdict.ForeignFormat);
        }

        return header == expected
            ? new KvBlockDecodeResult(KvBlockVerdict.Ok, value.Slice(HeaderBytes, payloadLength))
            : KvBlockDecodeResult.Rejected(KvBlockVerdict.WrongShape);
    }

    private void ComputeMac(string key, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _secret);
        var keyBytes = Encoding.UTF8.GetBytes(key);
        Span<byte> keyLength = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(keyLength, keyBytes.Length);
        hmac.AppendData(keyLength);
        hmac.AppendData(keyBytes);
        hmac.AppendData(body);
        hmac.GetHashAndReset(destination);
    }

    private static void WriteHeader(Span<byte> value, KvBlockHeader header)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(value, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(value[4..], FormatVersion);
        value[6] = DtypeCode(header.Format.Dtype);
        value[7] = header.Format.LayoutId;
        BinaryPrimitives.WriteInt32LittleEndian(value[8..], header.LayerCount);
        BinaryPrimitives.WriteInt32LittleEndian(value[12..], header.KvHeads);
        BinaryPrimitives.WriteInt32LittleEndian(value[16..], header.HeadDim);
        BinaryPrimitives.WriteInt32LittleEndian(value[20..], header.BlockTokens);
        BinaryPrimitives.WriteInt32LittleEndian(value[24..], header.TokenCount);
        BinaryPrimitives.WriteInt32LittleEndian(value[28..], header.PayloadLength);
    }

    /// <summary>The authenticated header, or null when its dtype code is unknown here (a foreign format either way).</summary>
    private static KvBlockHeader? ReadHeader(ReadOnlySpan<byte> value) =>
        DtypeOf(value[6]) is { } dtype
            ? new KvBlockHeader(
                new KvPageFormat(dtype, value[7]),
                BinaryPrimitives.ReadInt32LittleEndian(value[8..]),
                BinaryPrimitives.ReadInt32LittleEndian(value[12..]),
                BinaryPrimitives.ReadInt32LittleEndian(value[16..]),
                BinaryPrimitives.ReadInt32LittleEndian(value[20..]),
                BinaryPrimitives.ReadInt32LittleEndian(value[24..]),
                BinaryPrimitives.ReadInt32LittleEndian(value[28..]))
            : null;

    // Wire codes are fixed here rather than taken from the enum's numbering, which may change.
    private static byte DtypeCode(TensorDType dtype) => dtype switch
    {
        TensorDType.BF16 => 1,
        TensorDType.F16 => 2,
        TensorDType.F32 => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "No wire code for this KV dtype."),
    };

    private static TensorDType? DtypeOf(byte code) => code switch
    {
        1 => TensorDType.BF16,
        2 => TensorDType.F16,
        3 => TensorDType.F32,
        _ => null,
    };
}
