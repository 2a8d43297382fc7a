using System.Runtime.CompilerServices;
using System.Text.Json;

namespace LlmQueue.Engine.Tokenization;

/// <summary>
/// Reads model.vocab and model.merges straight from UTF-8 with <see cref="Utf8JsonReader"/>: merge strings are
/// unescaped into one reused buffer and looked up as spans, so the 515k merges of Gemma allocate nothing.
/// Problems are reported through <paramref name="fail"/> with their JSON path.
/// </summary>
internal sealed class BpeSectionReader(Func<string, Exception> fail)
{
    private char[] _chars = new char[256];

    /// <summary>The vocabulary; a repeated token keeps its last id, as a JSON object read into a map does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Dictionary<string, int> ReadVocab(ReadOnlyMemory<byte> json)
    {
        var reader = new Utf8JsonReader(json.Span);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw fail($"model.vocab must be an object, got {Describe(reader.TokenType)}");
        }

        var entries = new List<KeyValuePair<string, int>>(1024);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var token = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var id) || id < 0)
            {
                throw fail($"model.vocab[\"{token}\"] must be a non-negative integer id, got {JsonElement.ParseValue(ref reader)}");
            }

            entries.Add(new(token, id));
        }

        if (entries.Count == 0)
        {
            throw fail("model.vocab is empty");
        }

        var vocab = new Dictionary<string, int>(entries.Count, StringComparer.Ordinal);
        foreach (var (token, id) in entries)
        {
            vocab[token] = id;
        }

        return vocab;
    }

    /// <summary>Merges as "left right" strings or ["left", "right"] arrays; rank is the position in the list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public MergeTable ReadMerges(ReadOnlyMemory<byte> json, Dictionary<string, int> vocab)
    {
        var reader = new Utf8JsonReader(json.Span);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw fail($"model.merges must be an array, got {Describe(reader.TokenType)}");
        }

        // About 12 bytes per merge in real files; the table is sized once from that and grows if it was low.
        var merges = new MergeTable(json.Length / 12);
        var lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        var rank = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var (leftLength, length) = ReadPair(ref reader, rank);
            var chars = _chars.AsSpan(0, length);
            var left = chars[..leftLength];
            var right = chars[leftLength..];
            if (!lookup.TryGetValue(left, out var leftId) || !lookup.TryGetValue(right, out var rightId))
            {
                var missing = lookup.ContainsKey(left) ? right : left;
                throw fail($"model.merges[{rank}]: \"{missing}\" is not in model.vocab");
            }

            if (!lookup.TryGetValue(chars, out var mergedId))
            {
                throw fail($"model.merges[{rank}]: the merged token \"{chars}\" is not in model.vocab");
            }

            // A repeated pair keeps its first (highest-priority) rank, as Hugging Face does.
            merges.TryAdd(leftId, rightId, new MergeRule(rank, mergedId));
            rank++;
        }

        return merges;
    }

    /// <summary>Unescapes the merge at the reader into _chars as left + right; returns the left length and the total.</summary>
    private (int LeftLength, int Length) ReadPair(ref Utf8JsonReader reader, int rank)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var length = CopyString(ref reader, 0);
            var chars = _chars.AsSpan(0, length);
            var space = chars.IndexOf(' ');
            if (space <= 0 || space == length - 1 || chars[(space + 1)..].Contains(' '))
            {
                throw fail($"model.merges[{rank}]: \"{chars}\" is not of the form \"left right\"");
            }

            // Drop the separator: left and right become contiguous.
            chars[(space + 1)..].CopyTo(chars[space..]);
            return (space, length - 1);
        }

        if (reader.TokenType == JsonTokenType.StartArray
            && reader.Read() && reader.TokenType == JsonTokenType.String && CopyString(ref reader, 0) is var leftLength
            && reader.Read() && reader.TokenType == JsonTokenType.String && CopyString(ref reader, leftLength) is var total
            && reader.Read() && reader.TokenType == JsonTokenType.EndArray)
        {
            return (leftLength, total);
        }

        throw fail($"model.merges[{rank}]: a merge must be a \"left right\" string or a [\"left\", \"right\"] array");
    }

    /// <summary>Unescapes the string token into _chars at <paramref name="offset"/>; returns offset + its length.</summary>
    private int CopyString(ref Utf8JsonReader reader, int offset)
    {
        // UTF-8 never has fewer bytes than the UTF-16 units it decodes to.
        var needed = offset + (reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length);
        if (_chars.Length < needed)
        {
            Array.Resize(ref _chars, Math.Max(needed, _chars.Length * 2));
        }

        return offset + reader.CopyString(_chars.AsSpan(offset));
    }

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "Object",
        JsonTokenType.StartArray => "Array",
        JsonTokenType.String => "String",
        JsonTokenType.Number => "Number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        _ => type.ToString(),
    };
}
