using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using LlmQueue.Engine.Models;
using LlmQueue.Engine.Weights;

namespace LlmQueue.Engine.Synthetic;

/// <summary>
/// Writes a random-weight Llama checkpoint in the real Hugging Face layout (config.json,
/// safetensors or shards + index, tokenizer.json) so the normal loader reads it.
/// </summary>
public static class SyntheticCheckpoint
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(string folder, SyntheticModelSpec spec, string tokenizerJson)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(tokenizerJson);
        Validate(spec);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, ModelConfigReader.FileName), ConfigJson(spec));
        File.WriteAllText(Path.Combine(folder, LlamaModel.TokenizerFileName), tokenizerJson);
        WriteWeights(folder, spec, GenerateTensors(spec));
    }

    private static void Validate(SyntheticModelSpec spec)
    {
        if (spec.HiddenSize <= 0 || spec.NumHeads <= 0 || spec.NumKvHeads <= 0 || spec.NumLayers <= 0
            || spec.IntermediateSize <= 0 || spec.VocabSize <= 0 || spec.Shards <= 0)
        {
            throw new ArgumentException("All sizes and Shards must be positive.", nameof(spec));
        }

        if (spec.HiddenSize % spec.NumHeads != 0 || spec.NumHeads % spec.NumKvHeads != 0 || spec.HeadDim % 2 != 0)
        {
            throw new ArgumentException("HiddenSize must split into an even head_dim per head, and NumKvHeads must divide NumHeads.", nameof(spec));
        }
    }

    private static string ConfigJson(SyntheticModelSpec spec)
    {
        var config = new Dictionary<string, object>
        {
            ["architectures"] = new[] { "LlamaForCausalLM" },
            ["model_type"] = "llama",
            ["hidden_size"] = spec.HiddenSize,
            ["intermediate_size"] = spec.IntermediateSize,
            ["num_hidden_layers"] = spec.NumLayers,
            ["num_attention_heads"] = spec.NumHeads,
            ["num_key_value_heads"] = spec.NumKvHeads,
            ["head_dim"] = spec.HeadDim,
            ["vocab_size"] = spec.VocabSize,
            ["max_position_embeddings"] = spec.MaxPositionEmbeddings,
            ["rms_norm_eps"] = spec.RmsNormEps,
            ["rope_theta"] = spec.RopeTheta,
            ["tie_word_embeddings"] = spec.TieWordEmbeddings,
            ["bos_token_id"] = spec.BosTokenId,
            ["eos_token_id"] = spec.EosTokenId,
            ["torch_dtype"] = spec.DType == TensorDType.F32 ? "float32" : spec.DType == TensorDType.F16 ? "float16" : "bfloat16",
        };
        return JsonSerializer.Serialize(config, Indented);
    }

    private static List<SafetensorsTensor> GenerateTensors(SyntheticModelSpec spec)
    {
        var layouts = TensorLayouts(spec);
        var tensors = new SafetensorsTensor[layouts.Count];
        // Each tensor has its own seeded stream, so generation parallelises and sharding never changes values.
        Parallel.For(0, layouts.Count, i =>
            tensors[i] = new SafetensorsTensor(layouts[i].Name, spec.DType, layouts[i].Shape, Generate(spec, layouts[i])));
        return [.. tensors];
    }

    // Init: embeddings normal(0, InitStd); projections normal(0, 1/sqrt(fan_in)) so each sub-block's
    // output is O(1) and outweighs the small embedding (with tied embeddings a dominant embedding
    // makes the current token the argmax, i.e. greedy decoding repeats one token); norm gains
    // 1 + normal(0, 0.1), near 1 but not exactly, so tests notice a dropped norm weight.
    private static List<TensorInit> TensorLayouts(SyntheticModelSpec spec)
    {
        int h = spec.HiddenSize;
        int kv = spec.NumKvHeads * spec.HeadDim;
        int inter = spec.IntermediateSize;
        var layouts = new List<TensorInit> { new("model.embed_tokens.weight", [spec.VocabSize, h], 0f, spec.InitStd) };
        for (int i = 0; i < spec.NumLayers; i++)
        {
            string p = $"model.layers.{i}.";
            layouts.Add(TensorInit.Norm(p + "input_layernorm.weight", h));
            layouts.Add(TensorInit.Projection(p + "self_attn.q_proj.weight", h, h));
            layouts.Add(TensorInit.Projection(p + "self_attn.k_proj.weight", kv, h));
            layouts.Add(TensorInit.Projection(p + "self_attn.v_proj.weight", kv, h));
            layouts.Add(TensorInit.Projection(p + "self_attn.o_proj.weight", h, h));
            layouts.Add(TensorInit.Norm(p + "post_attention_layernorm.weight", h));
            layouts.Add(TensorInit.Projection(p + "mlp.gate_proj.weight", inter, h));
            layouts.Add(TensorInit.Projection(p + "mlp.up_proj.weight", inter, h));
            layouts.Add(TensorInit.Projection(p + "mlp.down_proj.weight", h, inter));
        }

        layouts.Add(TensorInit.Norm("model.norm.weight", h));
        if (!spec.TieWordEmbeddings)
        {
            layouts.Add(TensorInit.Projection("lm_head.weight", spec.VocabSize, h));
        }

        return layouts;
    }

    private static byte[] Generate(SyntheticModelSpec spec, TensorInit init)
    {
        int count = checked(init.Shape.Aggregate(1, (a, b) => a * b));
        var bytes = new byte[checked(count * spec.DType.ElementSize())];
        var random = new SplitMixRandom(SplitMixRandom.DeriveSeed(spec.Seed, init.Name));
        var values = MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
        var halves = MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan());
        for (int i = 0; i < count; i++)
        {
            float value = init.Mean + (init.Std * random.NextNormal());
            switch (spec.DType)
            {
                case TensorDType.F32: values[i] = value; break;
                case TensorDType.F16: halves[i] = BitConverter.HalfToUInt16Bits((Half)value); break;
                default: halves[i] = RoundToBf16(value); break;
            }
        }

        return bytes;
    }

    // Round-to-nearest-even on the dropped 16 bits, as torch does for finite values.
    private static ushort RoundToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    private static void WriteWeights(string folder, SyntheticModelSpec spec, List<SafetensorsTensor> tensors)
    {
        if (spec.Shards == 1)
        {
            SafetensorsWriter.Write(Path.Combine(folder, WeightStore.SingleFileName), tensors);
            return;
        }

        var weightMap = new Dictionary<string, string>();
        int perShard = (tensors.Count + spec.Shards - 1) / spec.Shards;
        for (int shard = 0; shard < spec.Shards; shard++)
        {
            string fileName = string.Create(CultureInfo.InvariantCulture, $"model-{shard + 1:D5}-of-{spec.Shards:D5}.safetensors");
            var part = tensors.Skip(shard * perShard).Take(perShard).ToList();
            SafetensorsWriter.Write(Path.Combine(folder, fileName), part);
            part.ForEach(t => weightMap[t.Name] = fileName);
        }

        var index = new
        {
            metadata = new { total_size = tensors.Sum(t => (long)t.Data.Length) },
            weight_map = weightMap,
        };
        File.WriteAllText(Path.Combine(folder, WeightStore.IndexFileName), JsonSerializer.Serialize(index));
    }
}
