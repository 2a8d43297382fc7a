
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

    /// <summary>Llama-3.2-1B's shape (1.24B parameters, tied 128256-token vocabulary, llama3 RoPE), random bf16 weights.</summary>
    public static SyntheticModelSpec Llama32OneB { get; } = new()
    {
        HiddenSize = 2048,
        IntermediateSize = 8192,
        NumLayers = 16,
        NumHeads = 32,
        NumKvHeads = 8,
        VocabSize = 128256,
        MaxPositionEmbeddings = 131072,
        TieWordEmbeddings = true,
        DType = TensorDType.BF16,
        RopeTheta = 500000f,
        RopeScaling = new RopeScaling(RopeScalingKind.Llama3, 32f, 1f, 4f, 8192),
    };

    /// <summary>gemma-3-1b's shape (26 layers at 5:1 sliding:global, window 512, one KV head of 256, 262144-token vocabulary).</summary>
    public static SyntheticModelSpec Gemma3OneB { get; } = new()
    {
        Family = ModelFamily.Gemma3,
        HiddenSize = 1152,
        IntermediateSize = 6912,
        NumLayers = 26,
        NumHeads = 4,
        NumKvHeads = 1,
        HeadDim = 256,
        VocabSize = 262144,
        MaxPositionEmbeddings = 32768,
        TieWordEmbeddings = true,
        DType = TensorDType.BF16,
        RmsNormEps = 1e-6f,
        SlidingWindow = 512,
        QueryPreAttnScalar = 256f,
        RopeTheta = 1_000_000f,
        LocalRopeTheta = 10000f,
    };

    /// <summary>The folder a spec is written to (once; later runs reuse it).</summary>
    public static string Folder(string name, SyntheticModelSpec spec) =>
        SyntheticModel.EnsureWritten(Path.Combine(Path.GetTempPath(), "llmq-gpu-check-models"), spec with { DType = TensorDType.BF16 }, name);

    public static LlamaModel Load(string name, SyntheticModelSpec spec)
    {
        return LlamaModel.Load(Folder(name, spec));
    }
}
