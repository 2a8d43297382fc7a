using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LlmQueue.Models.Weights;

namespace LlmQueue.Engine.Cpu;

/// <summary>Widening loads of a stored weight dtype; the matmul kernel is generic over these structs
/// so the JIT emits one specialised kernel per dtype (and per <see cref="ISimdWidth{TVec}"/>).</summary>
internal unsafe interface IWeightRows
{
    static abstract int ElementSize { get; }

    /// <summary>
    /// True: <see cref="LoadLow"/>/<see cref="LoadHigh"/> return columns in <see cref="ColumnOrder"/>'s interleaved order, so
    /// the activations it multiplies must be permuted the same way.
    /// </summary>
    static abstract bool InterleavesColumns { get; }

    /// <summary>First half of the group of 2 x lanes columns at index widened to f32, in natural or interleaved order.</summary>
    static abstract TVec LoadLow<TSimd, TVec>(byte* row, int index)
        where TSimd : struct, ISimdWidth<TVec>
        where TVec : struct;

    /// <summary>The other half of the group (see <see cref="LoadLow"/>).</summary>
    static abstract TVec LoadHigh<TSimd, TVec>(byte* row, int index)
        where TSimd : struct, ISimdWidth<TVec>
        where TVec : struct;

    static abstract float Load1(byte* row, int index);
}

internal readonly unsafe struct Bf16Rows : IWeightRows
{
    public static int ElementSize => 2;

    public static bool InterleavesColumns => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec LoadLow<TSimd, TVec>(byte* row, int index)
        where TSimd : struct, ISimdWidth<TVec>
        where TVec : struct => TSimd.WidenBf16Low((ushort*)row + index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec LoadHigh<TSimd, TVec>(byte* row, int index)
        where TSimd : struct, ISimdWidth<TVec>
        where TVec : struct => TSimd.WidenBf16High((ushort*)row + index);

    public static float Load1(byte* row, int index) => Float16Bits.Bf16ToSingle(((ushort*)row)[index]);
}

internal readonly unsafe struct F16Rows : IWeightRows
{
    public static int ElementSize => 2;

    public static bool InterleavesColumns => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec LoadLow<TSimd, TVec>(byte* row, int index)
        where TSimd : struct, ISimdWidth<TVec>
        where TVec : struct => TSimd.WidenF16((ushort*)row + index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec LoadHigh<TSimd, TVec>(byte* row, int index)
        where TSimd : struct, ISimdWidth<TVec>
        where TVec : struct => TSimd.WidenF16((ushort*)row + index + TSimd.Lanes);

    public static float Load1(byte* row, int index) => Float16Bits.F16ToSingle(((ushort*)row)[index]);
}

internal readonly unsafe struct F32Rows : IWeightRows
{
    public static int ElementSize => 4;

    public static bool InterleavesColumns => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec LoadLow<TSimd, TVec>(byte* row, int index)
        where TSimd : struct, ISimdWidth<TVec>
        where TVec : struct => TSimd.Load((float*)row + index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec LoadHigh<TSimd, TVec>(byte* row, int index)
        where TSimd : struct, ISimdWidth<TVec>
        where TVec : struct => TSimd.Load((float*)row + index + TSimd.Lanes);

    public static float Load1(byte* row, int index) => ((float*)row)[index];
}

/// <summary>The activation permutation that matches <see cref="IWeightRows.InterleavesColumns"/> loads.</summary>
internal static unsafe class ColumnOrder
{
    /// <summary>
    /// Copies rows of <paramref name="k"/> floats, reordering each full group of <paramref name="group"/>
    /// columns (2 x the kernel's lanes) to the order of the bf16 unpacks: columns 0-3 of every 8, then
    /// columns 4-7 of every 8 (0-3, 8-11, 4-7, 12-15 for 16). The tail (k % group) stays in place.
    /// </summary>
    public static void Interleave(float* source, float* destination, int rows, int k, int group)
    {
        int full = k - (k % group);
        int half = group / 2;
        for (int r = 0; r < rows; r++)
        {
            float* x = source + ((long)r * k);
            float* y = destination + ((long)r * k);
            for (int i = 0; i < full; i += group)
            {
                for (int j = 0; j < half; j += 4)
                {
                    Vector128.Load(x + i + (2 * j)).Store(y + i + j);
                    Vector128.Load(x + i + (2 * j) + 4).Store(y + i + half + j);
                }
            }

            for (int i = full; i < k; i++)
            {
                y[i] = x[i];
            }
        }
    }
}
