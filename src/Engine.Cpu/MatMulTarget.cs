using LlmQueue.Models.Weights;

namespace LlmQueue.Engine.Cpu;

/// <summary>One weight of a (possibly fused) matmul dispatch and where its [T, out] result goes.</summary>
internal readonly unsafe struct MatMulTarget
{
    /// <summary>Output rows of width out (the weight's row count).</summary>
    public MatMulTarget(TensorView weight, float* output)
    {
        Weight = weight;
        Output = output;
        OutputStride = weight.Shape[0];
    }

    public TensorView Weight { get; }

    public float* Output { get; }

    public int OutputStride { get; }
}
