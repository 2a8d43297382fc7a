using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LlmQueue.Engine.Weights;

namespace LlmQueue.Engine.Cpu;

/// <summary>Widening loads of a stored weight dtype; the matmul kernel is generic over these structs
/// so the JIT emits one specialised kernel per dtype.</summary>
internal unsafe interface IWeightRows
{
    static abstract int ElementSize { get; }

    static abstract Vector256<float> Load8(byte* row, int index);

    static abstract float Load1(byte* row, int index);
}

internal readonly unsafe struct Bf16Rows : IWeightRows
{
    public static int ElementSize => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* row, int index) =>
        Float16Bits.Bf16ToSingle(Vector128.Load((ushort*)row + index));

    public static float Load1(byte* row, int index) => Float16Bits.Bf16ToSingle(((ushort*)row)[index]);
}

internal readonly unsafe struct F16Rows : IWeightRows
{
    public static int ElementSize => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* row, int index) =>
        Float16Bits.F16ToSingle(Vector128.Load((ushort*)row + index));

    public static float Load1(byte* row, int index) => Float16Bits.F16ToSingle(((ushort*)row)[index]);
}

internal readonly unsafe struct F32Rows : IWeightRows
{
    public static int ElementSize => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* row, int index) => Vector256.Load((float*)row + index);

    public static float Load1(byte* row, int index) => ((float*)row)[index];
}
