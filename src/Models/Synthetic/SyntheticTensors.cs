
namespace LlmQueue.Models.Synthetic;

/// <summary>The tensors a family's checkpoint holds, with Hugging Face names, shapes and their random init.</summary>
internal static class SyntheticTensors
{
    // Init: embeddings normal(0, InitStd); projections normal(0, 1/sqrt(fan_in)) so each sub-block's
    // output is O(1) and outweighs the small embedding (with tied embeddings a dominant embedding
    // makes the current token the argmax, i.e. greedy decoding repeats one token); norm gains near 1
    // but not exactly (Gemma stores w of a (1 + w) gain, so near 0), so tests notice a dropped norm
    // weight; biases large enough to matter.
    public static List<TensorInit> Layouts(SyntheticModelSpec spec)
    {
        bool gemma = spec.Family is ModelFamily.Gemma2 or ModelFamily.Gemma3;
        bool qkNorm = spec.Family is ModelFamily.Qwen3 or ModelFamily.Gemma3;
        float normMean = gemma ? 0f : 1f;
        int h = spec.HiddenSize;
        int q = spec.NumHeads * spec.HeadDim;
        int kv = spec.NumKvHeads * spec.HeadDim;
        int inter = spec.IntermediateSize;
        string model = DecoderPrefix(spec);
        var layouts = new List<TensorInit> { new(model + "embed_tokens.weight", [spec.VocabSize, h], 0f, spec.InitStd) };
        for (int i = 0; i < spec.NumLayers; i++)
        {
            string p = $"{model}layers.{i}.";
            layouts.Add(TensorInit.Norm(p + "input_layernorm.weight", h, normMean));
            layouts.Add(TensorInit.Projection(p + "self_attn.q_proj.weight", q, h));
            layouts.Add(TensorInit.Projection(p + "self_attn.k_proj.weight", kv, h));
            layouts.Add(TensorInit.Projection(p + "self_attn.v_proj.weight", kv, h));
            if (spec.Family == ModelFamily.Qwen2)
            {
                layouts.Add(TensorInit.Bias(p + "self_attn.q_proj.bias", q));
                layouts.Add(TensorInit.Bias(p + "self_attn.k_proj.bias", kv));
                layouts.Add(TensorInit.Bias(p + "self_attn.v_proj.bias", kv));
            }

            if (qkNorm)
            {
                layouts.Add(TensorInit.Norm(p + "self_attn.q_norm.weight", spec.HeadDim, normMean));
                layouts.Add(TensorInit.Norm(p + "self_attn.k_norm.weight", spec.HeadDim, normMean));
            }

            layouts.Add(TensorInit.Projection(p + "self_attn.o_proj.weight", h, q));
            layouts.Add(TensorInit.Norm(p + "post_attention_layernorm.weight", h, normMean));
            if (gemma)
            {
                layouts.Add(TensorInit.Norm(p + "pre_feedforward_layernorm.weight", h, normMean));
                layouts.Add(TensorInit.Norm(p + "post_feedforward_layernorm.weight", h, normMean));
            }

            layouts.Add(TensorInit.Projection(p + "mlp.gate_proj.weight", inter, h));
            layouts.Add(TensorInit.Projection(p + "mlp.up_proj.weight", inter, h));
            layouts.Add(TensorInit.Projection(p + "mlp.down_proj.weight", h, inter));
        }

        layouts.Add(TensorInit.Norm(model + "norm.weight", h, normMean));
        if (!spec.TieWordEmbeddings)
        {
            layouts.Add(TensorInit.Projection(spec.Multimodal ? "language_model.lm_head.weight" : "lm_head.weight", spec.VocabSize, h));
        }

        return layouts;
    }

    // transformers < 4.52 saved Gemma3ForConditionalGeneration's decoder under language_model.model.
    private static string DecoderPrefix(SyntheticModelSpec spec) => spec.Multimodal ? "language_model.model." : "model.";
}
