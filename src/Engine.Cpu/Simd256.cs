using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LlmQueue.Models.Weights;

namespace LlmQueue.Engine.Cpu;

/// <summary>256-bit operations: the kernel width for CPUs without AVX-512 (8 f32 lanes).</summary>
internal readonly unsafe struct Simd256 : ISimdWidth<Vector256<float>>
{
    public static int Lanes => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> left, Vector256<float> right, Vector256<float> addend) =>
        Vector256.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d) =>
        Transpose4Sum(Fold(a), Fold(b), Fold(c), Fold(d));

    /// <summary>
    /// bf16 is the top half of an f32, so unpacking with zero words widens it. The unpacks work within
    /// 128-bit lanes (hence the interleaved order) and run on the shuffle port, leaving both FMA ports
    /// to the FMAs; zero-extend + shift puts the shift on an FMA port (the 4x4 kernel ran ~25% faster
    /// in cache with the unpacks).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WidenBf16Low(ushort* source)
    {
        var bits = Vector256.Load(source);
        return Avx2.IsSupported
            ? Avx2.UnpackLow(Vector256<ushort>.Zero, bits).AsSingle()
            : Vector256.Create(Widen(bits.GetLower().GetLower()), Widen(bits.GetUpper().GetLower())); // same order without AVX2
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WidenBf16High(ushort* source)
    {
        var bits = Vector256.Load(source);
        return Avx2.IsSupported
            ? Avx2.UnpackHigh(Vector256<ushort>.Zero, bits).AsSingle()
            : Vector256.Create(Widen(bits.GetLower().GetUpper()), Widen(bits.GetUpper().GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WidenF16(ushort* source) => Float16Bits.F16ToSingle(Vector128.Load(source));

    /// <summary>[sum(a), sum(b), sum(c), sum(d)] by one transpose-and-add: fewer shuffles than four separate horizontal sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Transpose4Sum(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d)
    {
        if (!Sse.IsSupported)
        {
            return Vector128.Create(Vector128.Sum(a), Vector128.Sum(b), Vector128.Sum(c), Vector128.Sum(d));
        }

        // ab = a0+a2, b0+b2, a1+a3, b1+b3 (cd likewise); the 64-bit halves then line up by source.
        var ab = Sse.UnpackLow(a, b) + Sse.UnpackHigh(a, b);
        var cd = Sse.UnpackLow(c, d) + Sse.UnpackHigh(c, d);
        return Sse.MoveLowToHigh(ab, cd) + Sse.MoveHighToLow(cd, ab);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fold(Vector256<float> v) => v.GetLower() + v.GetUpper();

    private static Vector128<float> Widen(Vector64<ushort> bits) =>
        Vector128.ShiftLeft(Vector128.WidenLower(bits.ToVector128Unsafe()), 16).AsSingle();
}
