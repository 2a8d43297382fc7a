using System.Buffers;
using System.Text.Json;

namespace LlmQueue.Engine.Tokenization;

/// <summary>
/// tokenizer.json split in one streaming pass into its two large arrays, model.vocab and model.merges (kept as
/// raw UTF-8 slices for <see cref="BpeSectionReader"/>), and everything else as a small document. A DOM of the
/// whole file (Gemma's is 33 MB) cost more than the rest of loading together.
/// </summary>
internal sealed class TokenizerJsonSections : IDisposable
{
    private TokenizerJsonSections(JsonDocument rest, ReadOnlyMemory<byte>? vocab, ReadOnlyMemory<byte>? merges)
    {
        Rest = rest;
        Vocab = vocab;
        Merges = merges;
    }

    /// <summary>The document without model.vocab and model.merges.</summary>
    public JsonDocument Rest { get; }

    /// <summary>The JSON value of model.vocab, or null when absent (or null).</summary>
    public ReadOnlyMemory<byte>? Vocab { get; }

    public ReadOnlyMemory<byte>? Merges { get; }

    /// <summary>Throws <see cref="JsonException"/> for text that is not JSON, <see cref="InvalidDataException"/> for a top level that is not an object.</summary>
    public static TokenizerJsonSections Split(ReadOnlyMemory<byte> utf8)
    {
        if (utf8.Span.StartsWith("\xEF\xBB\xBF"u8))
        {
            utf8 = utf8[3..];
        }

        var reader = new Utf8JsonReader(utf8.Span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            // Let the reader say what is wrong with text that is not JSON at all.
            JsonDocument.Parse(utf8).Dispose();
            throw new InvalidDataException("the top level must be a JSON object");
        }

        var buffer = new ArrayBufferWriter<byte>();
        ReadOnlyMemory<byte>? vocab = null;
        ReadOnlyMemory<byte>? merges = null;
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
                    (vocab, merges) = CopyModel(utf8, ref reader, writer);
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

        return new TokenizerJsonSections(JsonDocument.Parse(buffer.WrittenMemory), vocab, merges);
    }

    public void Dispose() => Rest.Dispose();

    /// <summary>Copies the model object's small members to <paramref name="writer"/> and cuts out vocab and merges.</summary>
    private static (ReadOnlyMemory<byte>? Vocab, ReadOnlyMemory<byte>? Merges) CopyModel(
        ReadOnlyMemory<byte> utf8, ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        ReadOnlyMemory<byte>? vocab = null;
        ReadOnlyMemory<byte>? merges = null;
        writer.WriteStartObject();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isVocab = reader.ValueTextEquals("vocab"u8);
            var isMerges = reader.ValueTextEquals("merges"u8);
            var name = reader.GetString()!;
            reader.Read();
            if ((isVocab || isMerges) && reader.TokenType != JsonTokenType.Null)
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                var value = utf8[start..(int)reader.BytesConsumed];
                (isVocab ? ref vocab : ref merges) = value;
            }
            else
            {
                writer.WritePropertyName(name);
                JsonElement.ParseValue(ref reader).WriteTo(writer);
            }
        }

        writer.WriteEndObject();
        return (vocab, merges);
    }
}
