using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LlmQueue.Models.Weights;

/// <summary>Exact bf16/f16 -> f32 widening, scalar and 8 lanes at a time, and f32 -> bf16 rounding.</summary>
public static class Float16Bits
{
    // f16 -> f32 without a table (after F. Giesen's half_to_float_fast): move exponent+mantissa into
    // f32 position and multiply by 2^112 to rebias; the multiply also normalises subnormals exactly.
    private const uint Magic = 0x77800000; // 2^112 as f32 bits
    private const uint InfNanThreshold = 0x47800000; // 65536.0f: rebias of exponent 31 (inf/nan)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Bf16ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>f32 to bf16 bits, round-to-nearest-even on the dropped 16 bits as torch does for finite values.</summary>
    public static ushort SingleToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F16ToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Bf16ToSingle(Vector128<ushort> bits) =>
        Vector256.ShiftLeft(Vector256.WidenLower(bits.ToVector256Unsafe()), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> F16ToSingle(Vector128<ushort> bits)
    {
        Vector256<uint> h = Vector256.WidenLower(bits.ToVector256Unsafe());
        Vector256<uint> magnitude = Vector256.ShiftLeft(h & Vector256.Create(0x7fffu), 13);
        Vector256<float> scaled = magnitude.AsSingle() * Vector256.Create(Magic).AsSingle();
        Vector256<uint> isInfNan = Vector256.GreaterThanOrEqual(scaled.AsUInt32(), Vector256.Create(InfNanThreshold));
        Vector256<uint> fixedUp = scaled.AsUInt32() | (isInfNan & Vector256.Create(0x7f800000u));
        Vector256<uint> sign = Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16);
        return (fixedUp | sign).AsSingle();
    }
}
