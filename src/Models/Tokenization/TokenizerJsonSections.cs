using System.Buffers;
using System.Text.Json;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// tokenizer.json read in one streaming pass: model.vocab and model.merges, the two large arrays, go straight to
/// <see cref="BpeSectionReader"/>; everything else is copied into a small document. A DOM of the whole file
/// (Gemma's is 33 MB) cost more than the rest of loading together.
/// </summary>
internal sealed class TokenizerJsonSections : IDisposable
{
    private TokenizerJsonSections(JsonDocument rest, VocabTable? vocab, MergeTable? merges)
    {
        Rest = rest;
        Vocab = vocab;
        Merges = merges;
    }

    /// <summary>The document without model.vocab and model.merges.</summary>
    public JsonDocument Rest { get; }

    /// <summary>model.vocab, or null when absent (or null).</summary>
    public VocabTable? Vocab { get; }

    /// <summary>model.merges, or null when absent (or null) or when there is no vocabulary to resolve them with.</summary>
    public MergeTable? Merges { get; }

    /// <summary>
    /// Throws <see cref="JsonException"/> for text that is not JSON, <see cref="InvalidDataException"/> for a top
    /// level that is not an object, and whatever <paramref name="sections"/> throws for a bad vocab or merges.
    /// </summary>
    public static TokenizerJsonSections Read(ReadOnlyMemory<byte> utf8, BpeSectionReader sections)
    {
        if (utf8.Span.StartsWith("\xEF\xBB\xBF"u8))
        {
            utf8 = utf8[3..];
        }

        var reader = new Utf8JsonReader(utf8.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            // Let the reader say what is wrong with text that is not JSON at all.
            JsonDocument.Parse(utf8).Dispose();
            throw new InvalidDataException("the top level must be a JSON object");
        }

        var buffer = new ArrayBufferWriter<byte>();
        var model = new ModelSections();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isModel = reader.ValueTextEquals("model"u8);
                writer.WritePropertyName(reader.GetString()!);
                reader.Read();
                if (isModel && reader.TokenType == JsonTokenType.StartObject)
                {
                    model = CopyModel(utf8, ref reader, writer, sections);
                }
                else
                {
                    JsonElement.ParseValue(ref reader).WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        // Trailing content after the object is an error the reader reports.
        while (reader.Read())
        {
        }

        return new TokenizerJsonSections(JsonDocument.Parse(buffer.WrittenMemory), model.Vocab, model.Merges);
    }

    public void Dispose() => Rest.Dispose();

    /// <summary>Copies the model object's small members to <paramref name="writer"/> and reads vocab and merges.</summary>
    private static ModelSections CopyModel(ReadOnlyMemory<byte> utf8, ref Utf8JsonReader reader, Utf8JsonWriter writer, BpeSectionReader sections)
    {
        var model = new ModelSections();
        ReadOnlyMemory<byte>? mergesBeforeVocab = null;
        writer.WriteStartObject();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isVocab = reader.ValueTextEquals("vocab"u8);
            var isMerges = reader.ValueTextEquals("merges"u8);
            var name = reader.GetString()!;
            reader.Read();
            if (isVocab && reader.TokenType != JsonTokenType.Null)
            {
                model.Vocab = sections.ReadVocab(ref reader);
            }
            else if (isMerges && reader.TokenType != JsonTokenType.Null && model.Vocab is { } vocab)
            {
                model.Merges = sections.ReadMerges(ref reader, vocab);
            }
            else if (isMerges && reader.TokenType != JsonTokenType.Null)
            {
                // Merges name tokens by string: they wait for the vocabulary.
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                mergesBeforeVocab = utf8[start..(int)reader.BytesConsumed];
            }
            else
            {
                writer.WritePropertyName(name);
                JsonElement.ParseValue(ref reader).WriteTo(writer);
            }
        }

        writer.WriteEndObject();
        if (mergesBeforeVocab is { } slice && model.Vocab is { } laterVocab)
        {
            var mergesReader = new Utf8JsonReader(slice.Span);
            mergesReader.Read();
            model.Merges = sections.ReadMerges(ref mergesReader, laterVocab);
        }

        return model;
    }

    private sealed class ModelSections
    {
        public VocabTable? Vocab { get; set; }

        public MergeTable? Merges { get; set; }
    }
}
