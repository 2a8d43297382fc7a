using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Engine.Runners;
using LlmQueue.Models.Weights;

namespace LlmQueue.Engine.Tests.KvCache.Remote;

public class KvBlockCodecTests
{
    private const int PayloadBytes = 3 * 4 * 2 * 2 * 8 * 2; // layers x tokens x K/V x heads x head dim x bf16
    private const string Key = "llmq:kv:0123456789abcdef:1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    private static readonly byte[] _secret = Encoding.UTF8.GetBytes("deployment-secret-0001");
    private static readonly KvBlockHeader _header = new(new KvPageFormat(TensorDType.BF16, KvPageFormat.HeadMajorLayout), LayerCount: 3, KvHeads: 2, HeadDim: 8, BlockTokens: 4, TokenCount: 4, PayloadLength: PayloadBytes);
    private readonly KvBlockCodec _codec = new(_secret);

    [Fact]
    public void Value_round_trips_to_the_same_payload()
    {
        var payload = Payload(_header);

        var decoded = _codec.Decode(Key, _codec.Encode(Key, _header, payload), _header);

        Assert.Equal(KvBlockVerdict.Ok, decoded.Verdict);
        Assert.Equal(payload, decoded.Payload.ToArray());
    }

    [Fact]
    public void Value_follows_the_documented_byte_layout_and_mac()
    {
        var payload = Payload(_header);
        var header = new byte[KvBlockCodec.HeaderBytes];
        "LQKV"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
        header[6] = 1; // bf16
        header[7] = 1; // page layout: heads major
        int[] fields = [3, 2, 8, 4, 4, payload.Length];
        for (var i = 0; i < fields.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8 + (4 * i)), fields[i]);
        }

        var key = Encoding.UTF8.GetBytes(Key);
        var keyLength = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(keyLength, key.Length);
        byte[] message = [.. keyLength, .. key, .. header, .. payload];
        var mac = HMACSHA256.HashData(_secret, message);

        Assert.Equal([.. header, .. payload, .. mac], _codec.Encode(Key, _header, payload));
        Assert.Equal(KvBlockCodec.HeaderBytes + payload.Length + KvBlockCodec.MacBytes, KvBlockCodec.ValueLength(_header));
    }

    [Theory]
    [InlineData(KvBlockCodec.HeaderBytes)] // first payload byte
    [InlineData(KvBlockCodec.HeaderBytes + 200)]
    [InlineData(6)] // dtype code
    [InlineData(7)] // page layout id
    [InlineData(24)] // token count
    [InlineData(KvBlockCodec.HeaderBytes + PayloadBytes + 5)] // inside the MAC
    public void A_changed_byte_is_tampering(int offset)
    {
        var value = _codec.Encode(Key, _header, Payload(_header));
        value[offset] ^= 0x40;

        Assert.Equal(KvBlockVerdict.Tampered, _codec.Decode(Key, value, _header).Verdict);
    }

    [Fact]
    public void A_value_under_another_key_is_tampering()
    {
        var value = _codec.Encode(Key, _header, Payload(_header));

        Assert.Equal(KvBlockVerdict.Tampered, _codec.Decode(Key.Replace(":1:", ":0:", StringComparison.Ordinal), value, _header).Verdict);
    }

    [Fact]
    public void A_value_written_with_another_secret_is_tampering()
    {
        var value = new KvBlockCodec("another-deployment-secret"u8).Encode(Key, _header, Payload(_header));

        Assert.Equal(KvBlockVerdict.Tampered, _codec.Decode(Key, value, _header).Verdict);
    }

    [Fact]
    public void Bytes_after_the_mac_are_tampering()
    {
        byte[] value = [.. _codec.Encode(Key, _header, Payload(_header)), 0];

        Assert.Equal(KvBlockVerdict.Tampered, _codec.Decode(Key, value, _header).Verdict);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(KvBlockCodec.HeaderBytes - 1)]
    [InlineData(KvBlockCodec.HeaderBytes + 10)]
    [InlineData(KvBlockCodec.HeaderBytes + PayloadBytes + KvBlockCodec.MacBytes - 1)]
    public void A_cut_value_is_truncated(int length)
    {
        var value = _codec.Encode(Key, _header, Payload(_header));

        Assert.Equal(KvBlockVerdict.Truncated, _codec.Decode(Key, value.AsMemory(0, length), _header).Verdict);
    }

    [Theory]
    [InlineData(4, 1)] // format version 1 (no page layout id)
    [InlineData(4, 3)] // a later version
    [InlineData(0, (byte)'X')] // not this format at all
    public void Another_format_or_version_is_foreign(int offset, byte replacement)
    {
        var value = _codec.Encode(Key, _header, Payload(_header));
        value[offset] = replacement;

        Assert.Equal(KvBlockVerdict.ForeignVersion, _codec.Decode(Key, value, _header).Verdict);
    }

    [Fact]
    public void An_authentic_value_in_another_page_format_is_foreign_and_never_loaded()
    {
        // A GPU replica's bf16 pages read by a CPU replica (f32), or the same dtype cut in another layout.
        var value = _codec.Encode(Key, _header, Payload(_header));

        Assert.Equal(KvBlockVerdict.ForeignFormat, _codec.Decode(Key, value, _header with { Format = new(TensorDType.F32, KvPageFormat.HeadMajorLayout) }).Verdict);
        Assert.Equal(KvBlockVerdict.ForeignFormat, _codec.Decode(Key, value, _header with { Format = _header.Format with { LayoutId = 7 } }).Verdict);
    }

    [Fact]
    public void An_authentic_value_of_another_shape_is_a_wrong_shape()
    {
        var value = _codec.Encode(Key, _header, Payload(_header));

        Assert.Equal(KvBlockVerdict.WrongShape, _codec.Decode(Key, value, _header with { KvHeads = 1, HeadDim = 16 }).Verdict);
        Assert.Equal(KvBlockVerdict.WrongShape, _codec.Decode(Key, value, _header with { LayerCount = 4 }).Verdict);
    }

    [Fact]
    public void Encode_refuses_a_payload_that_disagrees_with_its_header()
    {
        Assert.Throws<ArgumentException>(() => _codec.Encode(Key, _header, new byte[_header.PayloadLength - 1]));
    }

    internal static byte[] Payload(KvBlockHeader header, int seed = 1)
    {
        var payload = new byte[header.PayloadLength];
        new Random(seed).NextBytes(payload);
        return payload;
    }
}
