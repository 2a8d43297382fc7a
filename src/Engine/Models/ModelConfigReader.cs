using System.Text.Json;
using LlmQueue.Engine.Weights;

namespace LlmQueue.Engine.Models;

/// <summary>Reads a Hugging Face Llama-family config.json into a <see cref="ModelConfig"/>.</summary>
public static class ModelConfigReader
{
    public const string FileName = "config.json";
    private const string SupportedArchitecture = "LlamaForCausalLM";

    public static ModelConfig Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ModelLoadException.For(path, $"cannot read file: {e.Message}", e);
        }

        return Parse(json, path);
    }

    /// <summary>Parses config JSON; <paramref name="source"/> names the file in error messages.</summary>
    public static ModelConfig Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw ModelLoadException.For(source, $"not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = new ConfigFields(document.RootElement, source);
            return Build(root);
        }
    }

    private static ModelConfig Build(ConfigFields root)
    {
        string architecture = ReadArchitecture(root);
        int hidden = root.RequiredPositiveInt("hidden_size");
        int heads = root.RequiredPositiveInt("num_attention_heads");
        int kvHeads = root.OptionalPositiveInt("num_key_value_heads") ?? heads;
        if (heads % kvHeads != 0)
        {
            throw root.Fail("num_key_value_heads", $"{kvHeads} does not divide num_attention_heads {heads}.");
        }

        int headDim = root.OptionalPositiveInt("head_dim") ?? DefaultHeadDim(root, hidden, heads);
        if (headDim % 2 != 0)
        {
            throw root.Fail("head_dim", $"{headDim} must be even for rotary embeddings.");
        }

        RejectRopeScaling(root);
        return new ModelConfig
        {
            Architecture = architecture,
            HiddenSize = hidden,
            IntermediateSize = root.RequiredPositiveInt("intermediate_size"),
            NumLayers = root.RequiredPositiveInt("num_hidden_layers"),
            NumHeads = heads,
            NumKvHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = root.RequiredPositiveInt("vocab_size"),
            MaxPositionEmbeddings = root.OptionalPositiveInt("max_position_embeddings") ?? 2048,
            RmsNormEps = root.OptionalPositiveFloat("rms_norm_eps") ?? 1e-6f,
            RopeTheta = root.OptionalPositiveFloat("rope_theta") ?? 10000f,
            TieWordEmbeddings = root.OptionalBool("tie_word_embeddings") ?? false,
            BosTokenId = root.OptionalTokenIds("bos_token_id") is [int bos, ..] ? bos : null,
            EosTokenIds = root.OptionalTokenIds("eos_token_id") ?? [],
            TorchDtype = root.OptionalString("torch_dtype") ?? root.OptionalString("dtype"),
        };
    }

    private static string ReadArchitecture(ConfigFields root)
    {
        var architectures = root.OptionalStringList("architectures");
        if (architectures is null)
        {
            return root.OptionalString("model_type") == "llama"
                ? SupportedArchitecture
                : throw root.Fail("architectures", $"missing; expected [\"{SupportedArchitecture}\"].");
        }

        return architectures.Contains(SupportedArchitecture)
            ? SupportedArchitecture
            : throw root.Fail("architectures", $"[{string.Join(", ", architectures)}] is not supported; only {SupportedArchitecture} is.");
    }

    private static int DefaultHeadDim(ConfigFields root, int hidden, int heads) =>
        hidden % heads == 0
            ? hidden / heads
            : throw root.Fail("head_dim", $"missing and hidden_size {hidden} is not divisible by num_attention_heads {heads}.");

    // Scaled RoPE variants (llama3, linear, dynamic, yarn) change every position's angle; running them
    // as plain RoPE would produce silently wrong outputs, so they are refused until implemented.
    private static void RejectRopeScaling(ConfigFields root)
    {
        if (root.TryGet("rope_scaling", out var scaling) && scaling.ValueKind == JsonValueKind.Object)
        {
            string type = scaling.TryGetProperty("rope_type", out var t) || scaling.TryGetProperty("type", out t)
                ? t.ToString()
                : "unknown";
            if (type != "default")
            {
                throw root.Fail("rope_scaling", $"rope scaling type '{type}' is not supported.");
            }
        }
    }
}
