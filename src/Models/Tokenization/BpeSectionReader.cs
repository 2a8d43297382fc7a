using System.Runtime.CompilerServices;
using System.Text.Json;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Reads model.vocab and model.merges straight from UTF-8 with <see cref="Utf8JsonReader"/>: merge strings are
/// unescaped into one reused buffer and looked up as spans, so the 515k merges of Gemma allocate nothing.
/// Problems are reported through <paramref name="fail"/> with their JSON path.
/// </summary>
internal sealed class BpeSectionReader(Func<string, Exception> fail)
{
    private const int ResolveBatch = 1 << 14;

    // Every merge's unescaped left + right, one after another.
    private char[] _chars = new char[1 << 16];

    /// <summary>The vocabulary; a repeated token keeps its last id, as a JSON object read into a map does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    /// <param name="reader">At the value's first token; left at its last.</param>
    public VocabTable ReadVocab(ref Utf8JsonReader reader)
    {
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

        return new VocabTable(entries);
    }

    /// <summary>Merges as "left right" strings or ["left", "right"] arrays; rank is the position in the list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    /// <param name="reader">At the value's first token; left at its last.</param>
    public MergeTable ReadMerges(ref Utf8JsonReader reader, VocabTable vocab)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw fail($"model.merges must be an array, got {Describe(reader.TokenType)}");
        }

        // Parsing is sequential; resolving the strings to ids, which is memory-bound, runs on all cores.
        var spans = new List<MergeSpan>(1024);
        var used = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var (leftLength, length) = ReadPair(ref reader, spans.Count, used);
            spans.Add(new MergeSpan(used, leftLength, length));
            used += length;
        }

        var rules = new (int Left, int Right, int Merged)[spans.Count];
        var firstFailure = int.MaxValue;
        Parallel.For(0, (spans.Count + ResolveBatch - 1) / ResolveBatch, batch =>
        {
            for (var rank = batch * ResolveBatch; rank < Math.Min(spans.Count, (batch + 1) * ResolveBatch); rank++)
            {
                var span = spans[rank];
                var merged = _chars.AsSpan(span.Offset, span.Length);
                if (!vocab.TryGetValue(merged[..span.LeftLength], out rules[rank].Left)
                    || !vocab.TryGetValue(merged[span.LeftLength..], out rules[rank].Right)
                    || !vocab.TryGetValue(merged, out rules[rank].Merged))
                {
                    InterlockedMin(ref firstFailure, rank);
                    return;
                }
            }
        });

        if (firstFailure != int.MaxValue)
        {
            throw Unresolved(vocab, firstFailure, spans[firstFailure]);
        }

        var merges = new MergeTable(rules.Length);
        for (var rank = 0; rank < rules.Length; rank++)
        {
            // A repeated pair keeps its first (highest-priority) rank, as Hugging Face does.
            merges.TryAdd(rules[rank].Left, rules[rank].Right, new MergeRule(rank, rules[rank].Merged));
        }

        return merges;
    }

    private Exception Unresolved(VocabTable vocab, int rank, MergeSpan span)
    {
        var merged = _chars.AsSpan(span.Offset, span.Length).ToString();
        var left = merged[..span.LeftLength];
        var right = merged[span.LeftLength..];
        return !vocab.ContainsKey(left) ? fail($"model.merges[{rank}]: \"{left}\" is not in model.vocab")
            : !vocab.ContainsKey(right) ? fail($"model.merges[{rank}]: \"{right}\" is not in model.vocab")
            : fail($"model.merges[{rank}]: the merged token \"{merged}\" is not in model.vocab");
    }

    private static void InterlockedMin(ref int target, int value)
    {
        for (var current = Volatile.Read(ref target); value < current; current = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, current) == current)
            {
                return;
            }
        }
    }

    /// <summary>Unescapes the merge at the reader into _chars at <paramref name="offset"/> as left + right; returns the left length and the total.</summary>
    private (int LeftLength, int Length) ReadPair(ref Utf8JsonReader reader, int rank, int offset)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var length = CopyString(ref reader, offset) - offset;
            var chars = _chars.AsSpan(offset, length);
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
            && reader.Read() && reader.TokenType == JsonTokenType.String && CopyString(ref reader, offset) is var leftEnd
            && reader.Read() && reader.TokenType == JsonTokenType.String && CopyString(ref reader, leftEnd) is var end
            && reader.Read() && reader.TokenType == JsonTokenType.EndArray)
        {
            return (leftEnd - offset, end - offset);
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

    private readonly record struct MergeSpan(int Offset, int LeftLength, int Length);
}
