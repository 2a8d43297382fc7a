using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// 512-bit operations (16 f32 lanes): twice the FMA work per instruction of <see cref="Simd256"/> and 32
/// registers, room for bigger register blocks. Each operation is also defined from two 256-bit halves
/// in the same element order, so the path stays correct (if slow) where AVX-512 is missing.
/// </summary>
internal readonly unsafe struct Simd512 : ISimdWidth<Vector512<float>>
{
    public static int Lanes => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> left, Vector512<float> right, Vector512<float> addend) =>
        Vector512.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d) =>
        Simd256.Sum4(Fold(a), Fold(b), Fold(c), Fold(d));

    /// <summary>The 512-bit unpack keeps <see cref="Simd256"/>'s order per 128-bit lane, so one group of 32
    /// columns reads like two groups of 16 laid side by side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WidenBf16Low(ushort* source) => Avx512BW.IsSupported
        ? Avx512BW.UnpackLow(Vector512<ushort>.Zero, Vector512.Load(source)).AsSingle()
        : Vector512.Create(Simd256.WidenBf16Low(source), Simd256.WidenBf16Low(source + 16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WidenBf16High(ushort* source) => Avx512BW.IsSupported
        ? Avx512BW.UnpackHigh(Vector512<ushort>.Zero, Vector512.Load(source)).AsSingle()
        : Vector512.Create(Simd256.WidenBf16High(source), Simd256.WidenBf16High(source + 16));

    /// <summary>.NET exposes no 512-bit f16 conversion; f16 checkpoints are rare next to bf16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WidenF16(ushort* source) =>
        Vector512.Create(Simd256.WidenF16(source), Simd256.WidenF16(source + 8));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fold(Vector512<float> v) => v.GetLower() + v.GetUpper();
}
