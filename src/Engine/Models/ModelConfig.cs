namespace LlmQueue.Engine.Models;

/// <summary>Llama-architecture hyper-parameters, read from a Hugging Face config.json.</summary>
public sealed record ModelConfig
{
    public string Architecture { get; init; } = "LlamaForCausalLM";

    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumLayers { get; init; }

    public required int NumHeads { get; init; }

    public required int NumKvHeads { get; init; }

    public required int HeadDim { get; init; }

    public required int VocabSize { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 2048;

    public float RmsNormEps { get; init; } = 1e-5f;

    public float RopeTheta { get; init; } = 10000f;

    public bool TieWordEmbeddings { get; init; }

    public int? BosTokenId { get; init; }

    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>The checkpoint's declared dtype (torch_dtype / dtype), informational; weights keep their stored dtype.</summary>
    public string? TorchDtype { get; init; }

    /// <summary>Per layer, its sliding window (null = full attention); shorter than NumLayers = the rest are full.</summary>
    public IReadOnlyList<int?> LayerWindows { get; init; } = [];

    /// <summary>The sliding window of <paramref name="layer"/>, null for full attention.</summary>
    public int? SlidingWindowOf(int layer) => layer < LayerWindows.Count ? LayerWindows[layer] : null;
}
