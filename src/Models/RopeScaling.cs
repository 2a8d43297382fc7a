namespace LlmQueue.Models;

public enum RopeScalingKind
{
    /// <summary>Every inverse frequency divided by Factor.</summary>
    Linear,

    /// <summary>Llama 3.1: low frequencies divided by Factor, high ones kept, a smooth ramp between.</summary>
    Llama3,
}

/// <summary>
/// A RoPE scaling variant with its parameters (config.json rope_scaling / rope_parameters). The Llama 3
/// fields are only meaningful for <see cref="RopeScalingKind.Llama3"/>.
/// </summary>
public sealed record RopeScaling(
    RopeScalingKind Kind,
    float Factor,
    float LowFreqFactor = 1f,
    float HighFreqFactor = 4f,
    int OriginalMaxPositionEmbeddings = 8192);
