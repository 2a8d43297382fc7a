using System.Runtime.Intrinsics;
using LlmQueue.Models.Weights;
using Xunit;

namespace LlmQueue.Models.Tests.Weights;

public class Float16BitsTests
{
    [Fact]
    public void F16_vector_widening_matches_Half_for_every_bit_pattern()
    {
        var lanes = new ushort[8];
        for (int start = 0; start < 65536; start += 8)
        {
            for (int i = 0; i < 8; i++)
            {
                lanes[i] = (ushort)(start + i);
            }

            var widened = Float16Bits.F16ToSingle(Vector128.Create(lanes));
            for (int i = 0; i < 8; i++)
            {
                float expected = (float)BitConverter.UInt16BitsToHalf(lanes[i]);
                Assert.True(
                    BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(widened[i]) || (float.IsNaN(expected) && float.IsNaN(widened[i])),
                    $"0x{lanes[i]:x4}: expected {expected}, got {widened[i]}");
            }
        }
    }

    [Fact]
    public void Bf16_widening_is_the_high_half_of_the_f32_bits()
    {
        var random = new Random(7);
        for (int n = 0; n < 1000; n++)
        {
            float value = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-20, 20)));
            uint truncated = BitConverter.SingleToUInt32Bits(value) & 0xFFFF0000u;
            ushort bits = (ushort)(truncated >> 16);
            float expected = BitConverter.UInt32BitsToSingle(truncated);
            Assert.Equal(expected, Float16Bits.Bf16ToSingle(bits));
            Assert.Equal(expected, Float16Bits.Bf16ToSingle(Vector128.Create(bits))[3]);
        }
    }
}
