using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using LlmQueue.Models.Weights;

namespace LlmQueue.Models.Synthetic;

/// <summary>
/// Writes a random-weight checkpoint of any supported family in the real Hugging Face layout (config.json,
/// safetensors or shards + index, tokenizer.json) so the normal loader reads it.
/// </summary>
public static class SyntheticCheckpoint
{
    public static void Write(string folder, SyntheticModelSpec spec, string tokenizerJson)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(tokenizerJson);
        Validate(spec);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, ModelConfigReader.FileName), SyntheticConfig.Json(spec));
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

        if (spec.HeadDim <= 0 || spec.HeadDim % 2 != 0 || spec.NumHeads % spec.NumKvHeads != 0)
        {
            throw new ArgumentException("HeadDim must be positive and even, and NumKvHeads must divide NumHeads.", nameof(spec));
        }

        if (spec.Multimodal && spec.Family != ModelFamily.Gemma3)
        {
            throw new ArgumentException("Only Gemma 3 has a multimodal export layout.", nameof(spec));
        }
    }

    private static List<SafetensorsTensor> GenerateTensors(SyntheticModelSpec spec)
    {
        var layouts = SyntheticTensors.Layouts(spec);
        var tensors = new SafetensorsTensor[layouts.Count];
        // Each tensor has its own seeded stream, so generation parallelises and sharding never changes values.
        Parallel.For(0, layouts.Count, i =>
            tensors[i] = new SafetensorsTensor(layouts[i].Name, spec.DType, layouts[i].Shape, Generate(spec, layouts[i])));
        return [.. tensors];
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
                default: halves[i] = Float16Bits.SingleToBf16(value); break;
            }
        }

        return bytes;
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
