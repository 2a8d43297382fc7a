using LlmQueue.Models.Weights;

namespace LlmQueue.Models;

/// <summary>All decoder tensors, each checked for presence and shape against the config.</summary>
public sealed record DecoderWeights(
    TensorView Embedding,
    float EmbeddingScale,
    IReadOnlyList<DecoderLayerWeights> Layers,
    float[] FinalNorm,
    TensorView LmHead)
{
    // Text-only checkpoints, then Gemma 3 multimodal exports: transformers < 4.52 saved the decoder under
    // language_model.model.*, later versions under model.language_model.*.
    private static readonly string[] DecoderPrefixes = ["model.", "language_model.model.", "model.language_model."];
    private static readonly string[] LmHeadNames = ["lm_head.weight", "language_model.lm_head.weight"];

    /// <summary>Weight bytes one decode step streams regardless of batch size: all projections plus lm_head.</summary>
    public long DecodeWeightBytes =>
        Layers.Sum(l => l.QProj.ByteLength + l.KProj.ByteLength + l.VProj.ByteLength + l.OProj.ByteLength
            + l.GateProj.ByteLength + l.UpProj.ByteLength + l.DownProj.ByteLength)
        + LmHead.ByteLength;

    public static DecoderWeights Bind(WeightStore store, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(config);
        int hidden = config.HiddenSize;
        var binder = new TensorBinder(store, config.NormAddsOne);
        string prefix = DecoderPrefixes.FirstOrDefault(p => store.Contains(p + "embed_tokens.weight")) ?? DecoderPrefixes[0];
        var embedding = binder.Matrix(prefix + "embed_tokens.weight", config.VocabSize, hidden);
        var layers = new DecoderLayerWeights[config.NumLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            layers[i] = DecoderLayerWeights.Bind(binder, config, $"{prefix}layers.{i}.");
        }

        // Tied checkpoints may still carry an lm_head.weight; transformers ties it to the embedding regardless.
        var lmHead = config.TieWordEmbeddings
            ? embedding
            : binder.Matrix(LmHeadNames.FirstOrDefault(store.Contains) ?? LmHeadNames[0], config.VocabSize, hidden);
        float scale = config.ScalesEmbeddings ? EmbeddingNormalizer(hidden, embedding.DType) : 1f;
        return new DecoderWeights(embedding, scale, layers, binder.NormGain(prefix + "norm.weight", hidden), lmHead);
    }

    /// <summary>sqrt(hidden) rounded to the weight dtype, as Gemma's torch.tensor(normalizer, dtype=...) does.</summary>
    private static float EmbeddingNormalizer(int hidden, TensorDType dtype)
    {
        float normalizer = (float)Math.Sqrt(hidden);
        return dtype switch
        {
            TensorDType.BF16 => Float16Bits.Bf16ToSingle(Float16Bits.SingleToBf16(normalizer)),
            TensorDType.F16 => (float)(Half)normalizer,
            _ => normalizer,
        };
    }
}
