namespace LlmQueue.Models.Weights;

/// <summary>A tensor to write: raw little-endian element bytes in the given dtype.</summary>
public sealed record SafetensorsTensor(string Name, TensorDType DType, int[] Shape, byte[] Data);
