
namespace LlmQueue.GpuCheck;

/// <summary>The synthetic checkpoints the whole-model checks run (bf16, written once into a temp folder).</summary>
internal static class CheckModels
{
    /// <summary>Every family's tiny preset, plus two mid-size shapes with head_dim 64 and 128 (Gemma 3: sliding 128).</summary>
    public static IReadOnlyList<(string Name, SyntheticModelSpec Spec)> Specs { get; } =
    [
        ("tiny-llama3", SyntheticModelSpec.TinyLlama3),
        ("tiny-qwen2", SyntheticModelSpec.TinyQwen2),
        ("tiny-qwen3", SyntheticModelSpec.TinyQwen3),
        ("tiny-gemma2", SyntheticModelSpec.TinyGemma2),
        ("tiny-gemma3", SyntheticModelSpec.TinyGemma3),
        ("small-100m", SyntheticModelSpec.Small100M),
        ("gemma3-small", SyntheticModelSpec.Gemma3Small),
    ];

    public static LlamaModel Load(string name, SyntheticModelSpec spec)
    {
        string cache = Path.Combine(Path.GetTempPath(), "llmq-gpu-check-models");
        return LlamaModel.Load(SyntheticModel.EnsureWritten(cache, spec with { DType = TensorDType.BF16 }, name));
    }
}
