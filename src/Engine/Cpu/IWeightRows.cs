using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LlmQueue.Engine.Weights;

namespace LlmQueue.Engine.Cpu;

/// <summary>Widening loads of a stored weight dtype; the matmul kernel is generic over these structs
/// so the JIT emits one specialised kernel per dtype.</summary>
internal unsafe interface IWeightRows
{
    static abstract int ElementSize { get; }

    /// <summary>
    /// True: <see cref="LoadLow"/>/<see cref="LoadHigh"/> return columns in <see cref="ColumnOrder"/>'s interleaved order, so
    /// the activations it multiplies must be permuted the same way.
    /// </summary>
    static abstract bool InterleavesColumns { get; }

    /// <summary>First 8 of columns index..index+15 widened to f32, in natural or interleaved order.</summary>
    static abstract Vector256<float> LoadLow(byte* row, int index);

    /// <summary>The other 8 of columns index..index+15 (see <see cref="LoadLow"/>).</summary>
    static abstract Vector256<float> LoadHigh(byte* row, int index);

    static abstract float Load1(byte* row, int index);
}

internal readonly unsafe struct Bf16Rows : IWeightRows
{
    public static int ElementSize => 2;

    public static bool InterleavesColumns => true;

    /// <summary>
    /// bf16 is the top half of an f32, so unpacking with zero words widens it. The unpacks work within
    /// 128-bit lanes (hence the interleaved order) and run on the shuffle port, leaving both FMA ports
    /// to the FMAs; zero-extend + shift puts the shift on an FMA port (the 4x4 kernel ran ~25% faster
    /// in cache with the unpacks).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadLow(byte* row, int index)
    {
        var bits = Vector256.Load((ushort*)row + index);
        return Avx2.IsSupported
            ? Avx2.UnpackLow(Vector256<ushort>.Zero, bits).AsSingle()
            : Vector256.Create(Widen(bits.GetLower().GetLower()), Widen(bits.GetUpper().GetLower())); // same order without AVX2
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadHigh(byte* row, int index)
    {
        var bits = Vector256.Load((ushort*)row + index);
        return Avx2.IsSupported
            ? Avx2.UnpackHigh(Vector256<ushort>.Zero, bits).AsSingle()
            : Vector256.Create(Widen(bits.GetLower().GetUpper()), Widen(bits.GetUpper().GetUpper()));
    }

    public static float Load1(byte* row, int index) => Float16Bits.Bf16ToSingle(((ushort*)row)[index]);

    private static Vector128<float> Widen(Vector64<ushort> bits) =>
        Vector128.ShiftLeft(Vector128.WidenLower(bits.ToVector128Unsafe()), 16).AsSingle();
}

internal readonly unsafe struct F16Rows : IWeightRows
{
    public static int ElementSize => 2;

    public static bool InterleavesColumns => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadLow(byte* row, int index) => Float16Bits.F16ToSingle(Vector128.Load((ushort*)row + index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadHigh(byte* row, int index) => LoadLow(row, index + 8);

    public static float Load1(byte* row, int index) => Float16Bits.F16ToSingle(((ushort*)row)[index]);
}

internal readonly unsafe struct F32Rows : IWeightRows
{
    public static int ElementSize => 4;

    public static bool InterleavesColumns => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadLow(byte* row, int index) => Vector256.Load((float*)row + index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadHigh(byte* row, int index) => LoadLow(row, index + 8);

    public static float Load1(byte* row, int index) => ((float*)row)[index];
}

/// <summary>The activation permutation that matches <see cref="IWeightRows.InterleavesColumns"/> loads.</summary>
internal static unsafe class ColumnOrder
{
    public const int Group = 16;

    /// <summary>
    /// Copies rows of <paramref name="k"/> floats, reordering each full group of 16 columns to
    /// 0-3, 8-11, 4-7, 12-15 (the order of the bf16 unpacks); the tail (k % 16) stays in place.
    /// </summary>
    public static void Interleave(float* source, float* destination, int rows, int k)
    {
        int full = k - (k % Group);
        for (int r = 0; r < rows; r++)
        {
            float* x = source + ((long)r * k);
            float* y = destination + ((long)r * k);
            for (int i = 0; i < full; i += Group)
            {
                Vector128.Load(x + i).Store(y + i);
                Vector128.Load(x + i + 8).Store(y + i + 4);
                Vector128.Load(x + i + 4).Store(y + i + 8);
                Vector128.Load(x + i + 12).Store(y + i + 12);
            }

            for (int i = full; i < k; i++)
            {
                y[i] = x[i];
            }
        }
    }
}
