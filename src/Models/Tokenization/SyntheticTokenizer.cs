using System.Text;
using System.Text.Json;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Builds a Llama-3-style byte-level BPE tokenizer.json of any vocabulary size, for synthetic models and tests:
/// 256 byte tokens, merges learned deterministically from an embedded English corpus (then filled up so ids are
/// dense), and the special tokens BOS and EOS as the last two ids.
/// </summary>
public static class SyntheticTokenizer
{
    public const string BosToken = "<|begin_of_text|>";
    public const string EosToken = "<|end_of_text|>";

    /// <summary>256 byte tokens plus BOS and EOS.</summary>
    public const int MinVocabSize = 258;

    /// <summary>Llama 3's split pattern.</summary>
    public const string SplitPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static int BosTokenId(int vocabSize) => vocabSize - 2;

    public static int EosTokenId(int vocabSize) => vocabSize - 1;

    /// <summary>A ready tokenizer; same as parsing <see cref="BuildJson"/>.</summary>
    public static Tokenizer Create(int vocabSize) =>
        Tokenizer.FromJson(BuildJson(vocabSize), $"synthetic tokenizer (vocab {vocabSize})");

    public static string BuildJson(int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, MinVocabSize);
        var modelTokens = vocabSize - 2;
        var trainer = new BpeTrainer();
        trainer.Train(CountWords(SyntheticCorpus.Text), modelTokens);
        trainer.FillTo(modelTokens);

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            WriteAddedTokens(json, vocabSize);
            json.WriteNull("normalizer");
            WritePreTokenizer(json);
            WritePostProcessor(json, vocabSize);
            json.WriteStartObject("decoder");
            json.WriteString("type", "ByteLevel");
            json.WriteEndObject();
            WriteModel(json, trainer);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static Dictionary<string, int> CountWords(string text)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var match in PreTokenizer.CompilePattern(SplitPattern).EnumerateMatches(text))
        {
            var word = text.Substring(match.Index, match.Length);
            counts[word] = counts.GetValueOrDefault(word) + 1;
        }

        return counts;
    }

    private static void WriteAddedTokens(Utf8JsonWriter json, int vocabSize)
    {
        json.WriteStartArray("added_tokens");
        foreach (var (id, content) in new[] { (BosTokenId(vocabSize), BosToken), (EosTokenId(vocabSize), EosToken) })
        {
            json.WriteStartObject();
            json.WriteNumber("id", id);
            json.WriteString("content", content);
            json.WriteBoolean("single_word", false);
            json.WriteBoolean("lstrip", false);
            json.WriteBoolean("rstrip", false);
            json.WriteBoolean("normalized", false);
            json.WriteBoolean("special", true);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WritePreTokenizer(Utf8JsonWriter json)
    {
        json.WriteStartObject("pre_tokenizer");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("pretokenizers");
        json.WriteStartObject();
        json.WriteString("type", "Split");
        json.WriteStartObject("pattern");
        json.WriteString("Regex", SplitPattern);
        json.WriteEndObject();
        json.WriteString("behavior", "Isolated");
        json.WriteBoolean("invert", false);
        json.WriteEndObject();
        json.WriteStartObject();
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", false);
        json.WriteBoolean("trim_offsets", true);
        json.WriteBoolean("use_regex", false);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WritePostProcessor(Utf8JsonWriter json, int vocabSize)
    {
        json.WriteStartObject("post_processor");
        json.WriteString("type", "TemplateProcessing");
        json.WriteStartArray("single");
        json.WriteStartObject();
        json.WriteStartObject("SpecialToken");
        json.WriteString("id", BosToken);
        json.WriteNumber("type_id", 0);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject();
        json.WriteStartObject("Sequence");
        json.WriteString("id", "A");
        json.WriteNumber("type_id", 0);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteStartObject("special_tokens");
        json.WriteStartObject(BosToken);
        json.WriteString("id", BosToken);
        json.WriteStartArray("ids");
        json.WriteNumberValue(BosTokenId(vocabSize));
        json.WriteEndArray();
        json.WriteStartArray("tokens");
        json.WriteStringValue(BosToken);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteModel(Utf8JsonWriter json, BpeTrainer trainer)
    {
        var names = trainer.Tokens.Select(t => ByteLevelAlphabet.Encode(t)).ToList();
        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("unk_token");
        json.WriteBoolean("byte_fallback", false);
        json.WriteBoolean("ignore_merges", false);
        json.WriteStartObject("vocab");
        for (var id = 0; id < names.Count; id++)
        {
            json.WriteNumber(names[id], id);
        }

        json.WriteEndObject();
        json.WriteStartArray("merges");
        foreach (var (left, right) in trainer.Merges)
        {
            json.WriteStartArray();
            json.WriteStringValue(names[left]);
            json.WriteStringValue(names[right]);
            json.WriteEndArray();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
