using System.Runtime.Intrinsics;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// One SIMD register width (<typeparamref name="TVec"/> holds <see cref="Lanes"/> f32 lanes): the
/// operations the matmul kernel needs, so one kernel body serves every width and the JIT emits a
/// specialised copy per width (as it does per weight dtype through <see cref="IWeightRows"/>).
/// </summary>
internal unsafe interface ISimdWidth<TVec>
    where TVec : struct
{
    static abstract int Lanes { get; }

    static abstract TVec Load(float* source);

    static abstract TVec MultiplyAdd(TVec left, TVec right, TVec addend);

    /// <summary>The horizontal sums of four vectors, in order.</summary>
    static abstract Vector128<float> Sum4(TVec a, TVec b, TVec c, TVec d);

    /// <summary>
    /// Half of the 2 x <see cref="Lanes"/> bf16 values at <paramref name="source"/> widened to f32: elements 0-3 of
    /// every 8 (the unpack order within 128-bit lanes; see <see cref="ColumnOrder"/>).
    /// </summary>
    static abstract TVec WidenBf16Low(ushort* source);

    /// <summary>The other half of <see cref="WidenBf16Low"/>: elements 4-7 of every 8.</summary>
    static abstract TVec WidenBf16High(ushort* source);

    /// <summary><see cref="Lanes"/> f16 values widened to f32 in natural order.</summary>
    static abstract TVec WidenF16(ushort* source);
}
