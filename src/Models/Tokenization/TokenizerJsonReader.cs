using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Reads a Hugging Face tokenizer.json into <see cref="TokenizerParts"/>. Every problem becomes a
/// <see cref="TokenizerFormatException"/> whose message starts with the source name and the JSON path.
/// </summary>
internal sealed class TokenizerJsonReader
{
    private readonly string _source;
    private readonly List<SplitRule> _splitRules = [];
    private readonly List<(string Pattern, string Content)> _decoderReplacements = [];
    private bool _byteLevelPreTokenizer;
    private bool _addPrefixSpace;
    private bool _byteLevelDecoder;
    private bool _byteFallbackDecoder;

    public TokenizerJsonReader(string source)
    {
        _source = source;
    }

    public TokenizerParts Read(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw Fail($"not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Fail("the top level must be a JSON object");
            }

            return Read(root);
        }
    }

    private TokenizerParts Read(JsonElement root)
    {
        var normalizers = new List<Func<string, string>>();
        if (Optional(root, "normalizer") is { } normalizer)
        {
            ReadNormalizer(normalizer, "normalizer", normalizers);
        }

        if (Optional(root, "pre_tokenizer") is { } preTokenizer)
        {
            ReadPreTokenizer(preTokenizer, "pre_tokenizer");
        }

        if (Optional(root, "decoder") is { } decoder)
        {
            ReadDecoder(decoder, "decoder");
        }
        else
        {
            _byteLevelDecoder = _byteLevelPreTokenizer;
        }

        var model = Required(root, "model", JsonValueKind.Object, "model");
        var vocab = ReadVocab(model);
        var added = ReadAddedTokens(root);
        var tokenToId = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        foreach (var token in added)
        {
            tokenToId[token.Content] = token.Id;
        }

        var (prefix, suffix) = Optional(root, "post_processor") is { } post
            ? ReadPostProcessor(post, "post_processor")
            : ([], []);

        var idToToken = BuildIdToToken(vocab, added);
        return new TokenizerParts(
            ReadModel(model, vocab),
            normalizers,
            new PreTokenizer(_splitRules, _addPrefixSpace),
            new AddedTokenMatcher(added),
            prefix,
            suffix,
            idToToken,
            tokenToId,
            BuildTokenBytes(vocab, added, idToToken.Length));
    }

    private Dictionary<string, int> ReadVocab(JsonElement model)
    {
        var element = Required(model, "vocab", JsonValueKind.Object, "model.vocab");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
            {
                throw Fail($"model.vocab[\"{entry.Name}\"] must be a non-negative integer id, got {entry.Value}");
            }

            vocab[entry.Name] = id;
        }

        if (vocab.Count == 0)
        {
            throw Fail("model.vocab is empty");
        }

        return vocab;
    }

    private BpeModel ReadModel(JsonElement model, Dictionary<string, int> vocab)
    {
        var type = OptionalString(model, "type", "model.type") ?? "BPE";
        if (type != "BPE")
        {
            throw Fail($"model.type \"{type}\" is not supported (only BPE)");
        }

        foreach (var unsupported in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (!string.IsNullOrEmpty(OptionalString(model, unsupported, $"model.{unsupported}")))
            {
                throw Fail($"model.{unsupported} is not supported");
            }
        }

        int? unkId = null;
        if (OptionalString(model, "unk_token", "model.unk_token") is { } unk)
        {
            unkId = vocab.TryGetValue(unk, out var id)
                ? id
                : throw Fail($"model.unk_token \"{unk}\" is not in model.vocab");
        }

        return new BpeModel(new BpeModelOptions(
            vocab,
            ReadMerges(model, vocab),
            _byteLevelPreTokenizer,
            OptionalBool(model, "byte_fallback", "model.byte_fallback"),
            OptionalBool(model, "ignore_merges", "model.ignore_merges"),
            unkId));
    }

    private Dictionary<long, MergeRule> ReadMerges(JsonElement model, Dictionary<string, int> vocab)
    {
        var element = Required(model, "merges", JsonValueKind.Array, "model.merges");
        var merges = new Dictionary<long, MergeRule>(element.GetArrayLength());
        var rank = 0;
        foreach (var merge in element.EnumerateArray())
        {
            var (left, right) = ReadMergePair(merge, rank);
            var leftId = VocabId(vocab, left, rank);
            var rightId = VocabId(vocab, right, rank);
            if (!vocab.TryGetValue(left + right, out var mergedId))
            {
                throw Fail($"model.merges[{rank}]: the merged token \"{left + right}\" is not in model.vocab");
            }

            // A repeated pair keeps its first (highest-priority) rank, as Hugging Face does.
            merges.TryAdd(BpeModel.PairKey(leftId, rightId), new MergeRule(rank, mergedId));
            rank++;
        }

        return merges;
    }

    private (string Left, string Right) ReadMergePair(JsonElement merge, int rank)
    {
        if (merge.ValueKind == JsonValueKind.String)
        {
            var parts = merge.GetString()!.Split(' ');
            return parts.Length == 2 && parts[0].Length > 0 && parts[1].Length > 0
                ? (parts[0], parts[1])
                : throw Fail($"model.merges[{rank}]: \"{merge.GetString()}\" is not of the form \"left right\"");
        }

        if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
            && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
        {
            return (merge[0].GetString()!, merge[1].GetString()!);
        }

        throw Fail($"model.merges[{rank}]: a merge must be a \"left right\" string or a [\"left\", \"right\"] array");
    }

    private int VocabId(Dictionary<string, int> vocab, string token, int rank) =>
        vocab.TryGetValue(token, out var id)
            ? id
            : throw Fail($"model.merges[{rank}]: \"{token}\" is not in model.vocab");

    private List<AddedToken> ReadAddedTokens(JsonElement root)
    {
        var tokens = new List<AddedToken>();
        if (Optional(root, "added_tokens") is not { } element)
        {
            return tokens;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Fail("added_tokens must be an array");
        }

        var index = 0;
        foreach (var entry in element.EnumerateArray())
        {
            var path = $"added_tokens[{index++}]";
            var id = Required(entry, "id", JsonValueKind.Number, $"{path}.id");
            if (!id.TryGetInt32(out var value) || value < 0)
            {
                throw Fail($"{path}.id must be a non-negative integer");
            }

            var content = Required(entry, "content", JsonValueKind.String, $"{path}.content").GetString()!;
            if (content.Length == 0)
            {
                throw Fail($"{path}.content is empty");
            }

            tokens.Add(new AddedToken(value, content, OptionalBool(entry, "special", $"{path}.special")));
        }

        return tokens;
    }

    private void ReadNormalizer(JsonElement element, string path, List<Func<string, string>> normalizers)
    {
        switch (TypeOf(element, path))
        {
            case "Sequence":
                ReadEach(element, "normalizers", path, (item, itemPath) => ReadNormalizer(item, itemPath, normalizers));
                break;
            case "NFC":
                normalizers.Add(static s => s.Normalize(NormalizationForm.FormC));
                break;
            case "NFD":
                normalizers.Add(static s => s.Normalize(NormalizationForm.FormD));
                break;
            case "NFKC":
                normalizers.Add(static s => s.Normalize(NormalizationForm.FormKC));
                break;
            case "NFKD":
                normalizers.Add(static s => s.Normalize(NormalizationForm.FormKD));
                break;
            case "Lowercase":
                normalizers.Add(static s => s.ToLowerInvariant());
                break;
            case "Prepend":
                var prepend = RequiredString(element, "prepend", $"{path}.prepend");
                normalizers.Add(s => s.Length == 0 ? s : prepend + s);
                break;
            case "Replace":
                var pattern = ReadPattern(element, path);
                var content = RequiredString(element, "content", $"{path}.content");
                normalizers.Add(s => pattern.Replace(s, content));
                break;
            case var other:
                throw Fail($"{path}.type \"{other}\" is not a supported normalizer");
        }
    }

    private void ReadPreTokenizer(JsonElement element, string path)
    {
        switch (TypeOf(element, path))
        {
            case "Sequence":
                ReadEach(element, "pretokenizers", path, ReadPreTokenizer);
                break;
            case "ByteLevel":
                _byteLevelPreTokenizer = true;
                if (OptionalBool(element, "add_prefix_space", $"{path}.add_prefix_space"))
                {
                    // Hugging Face adds the space per piece of earlier splits; only the whole-text case is supported.
                    if (_splitRules.Count > 0)
                    {
                        throw Fail($"{path}.add_prefix_space after a Split is not supported");
                    }

                    _addPrefixSpace = true;
                }

                if (OptionalBool(element, "use_regex", $"{path}.use_regex", defaultValue: true))
                {
                    _splitRules.Add(new SplitRule(PreTokenizer.CompilePattern(PreTokenizer.Gpt2Pattern), SplitBehavior.Isolated));
                }

                break;
            case "Split":
                if (OptionalBool(element, "invert", $"{path}.invert"))
                {
                    throw Fail($"{path}.invert = true is not supported");
                }

                var behaviorName = RequiredString(element, "behavior", $"{path}.behavior");
                if (!Enum.TryParse<SplitBehavior>(behaviorName, ignoreCase: false, out var behavior)
                    || !Enum.IsDefined(behavior))
                {
                    throw Fail($"{path}.behavior \"{behaviorName}\" is not supported");
                }

                _splitRules.Add(new SplitRule(ReadPattern(element, path), behavior));
                break;
            case var other:
                throw Fail($"{path}.type \"{other}\" is not a supported pre-tokenizer");
        }
    }

    private void ReadDecoder(JsonElement element, string path)
    {
        switch (TypeOf(element, path))
        {
            case "Sequence":
                ReadEach(element, "decoders", path, ReadDecoder);
                break;
            case "ByteLevel":
                _byteLevelDecoder = true;
                break;
            case "ByteFallback":
                _byteFallbackDecoder = true;
                break;
            case "Fuse":
                // Fuse joins token strings, which per-token byte decoding does implicitly.
                break;
            case "Replace":
                var pattern = Required(element, "pattern", JsonValueKind.Object, $"{path}.pattern");
                var literal = OptionalString(pattern, "String", $"{path}.pattern.String")
                    ?? throw Fail($"{path}.pattern: only String patterns are supported in decoders");
                _decoderReplacements.Add((literal, RequiredString(element, "content", $"{path}.content")));
                break;
            case var other:
                throw Fail($"{path}.type \"{other}\" is not a supported decoder");
        }
    }

    private (int[] Prefix, int[] Suffix) ReadPostProcessor(
        JsonElement element, string path)
    {
        switch (TypeOf(element, path))
        {
            case "ByteLevel":
                return ([], []);
            case "Sequence":
                var prefix = new List<int>();
                var suffix = new List<int>();
                ReadEach(element, "processors", path, (item, itemPath) =>
                {
                    var (p, s) = ReadPostProcessor(item, itemPath);
                    prefix.AddRange(p);
                    suffix.InsertRange(0, s);
                });
                return ([.. prefix], [.. suffix]);
            case "TemplateProcessing":
                return ReadTemplate(element, path);
            case "RobertaProcessing" or "BertProcessing":
                return ([SpecialPairId(element, "cls", path)], [SpecialPairId(element, "sep", path)]);
            case var other:
                throw Fail($"{path}.type \"{other}\" is not a supported post-processor");
        }
    }

    private (int[] Prefix, int[] Suffix) ReadTemplate(JsonElement element, string path)
    {
        var specials = Required(element, "special_tokens", JsonValueKind.Object, $"{path}.special_tokens");
        var single = Required(element, "single", JsonValueKind.Array, $"{path}.single");
        var prefix = new List<int>();
        var suffix = new List<int>();
        var seenSequence = false;
        var index = 0;
        foreach (var item in single.EnumerateArray())
        {
            var itemPath = $"{path}.single[{index++}]";
            if (Optional(item, "Sequence") is not null)
            {
                seenSequence = true;
                continue;
            }

            var special = Required(item, "SpecialToken", JsonValueKind.Object, $"{itemPath}.SpecialToken");
            var name = RequiredString(special, "id", $"{itemPath}.SpecialToken.id");
            if (Optional(specials, name) is not { } definition)
            {
                throw Fail($"{itemPath}: \"{name}\" is not in {path}.special_tokens");
            }

            var idsPath = $"{path}.special_tokens[\"{name}\"].ids";
            foreach (var id in Required(definition, "ids", JsonValueKind.Array, idsPath).EnumerateArray())
            {
                (seenSequence ? suffix : prefix).Add(id.ValueKind == JsonValueKind.Number && id.TryGetInt32(out var value)
                    ? value
                    : throw Fail($"{idsPath} must hold integer ids"));
            }
        }

        return ([.. prefix], [.. suffix]);
    }

    private int SpecialPairId(JsonElement element, string name, string path)
    {
        var pair = Required(element, name, JsonValueKind.Array, $"{path}.{name}");
        return pair.GetArrayLength() == 2 && pair[1].ValueKind == JsonValueKind.Number && pair[1].TryGetInt32(out var id)
            ? id
            : throw Fail($"{path}.{name} must be [\"token\", id]");
    }

    private Regex ReadPattern(JsonElement element, string path)
    {
        var pattern = Required(element, "pattern", JsonValueKind.Object, $"{path}.pattern");
        if (OptionalString(pattern, "String", $"{path}.pattern.String") is { } literal)
        {
            return PreTokenizer.CompilePattern(Regex.Escape(literal));
        }

        var regex = OptionalString(pattern, "Regex", $"{path}.pattern.Regex")
            ?? throw Fail($"{path}.pattern must have a \"String\" or \"Regex\" member");
        try
        {
            return PreTokenizer.CompilePattern(regex);
        }
        catch (ArgumentException ex)
        {
            throw Fail($"{path}.pattern.Regex cannot be compiled: {ex.Message}", ex);
        }
    }

    private static string?[] BuildIdToToken(Dictionary<string, int> vocab, List<AddedToken> added)
    {
        var size = Math.Max(vocab.Values.Max(), added.Count == 0 ? -1 : added.Max(t => t.Id)) + 1;
        var tokens = new string?[size];
        foreach (var (token, id) in vocab)
        {
            tokens[id] ??= token;
        }

        foreach (var token in added)
        {
            tokens[token.Id] = token.Content;
        }

        return tokens;
    }

    private byte[]?[] BuildTokenBytes(Dictionary<string, int> vocab, List<AddedToken> added, int size)
    {
        var bytes = new byte[]?[size];
        foreach (var (token, id) in vocab)
        {
            bytes[id] ??= TokenBytes(token);
        }

        // Added tokens go through the decoder too (Gemma's "▁▁" must become two spaces), as in Hugging Face.
        foreach (var token in added)
        {
            bytes[token.Id] = TokenBytes(token.Content);
        }

        return bytes;
    }

    private byte[] TokenBytes(string token)
    {
        if (_byteLevelDecoder)
        {
            return ByteLevelAlphabet.Decode(token);
        }

        if (_byteFallbackDecoder && token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal)
            && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
        {
            return [value];
        }

        foreach (var (pattern, content) in _decoderReplacements)
        {
            token = token.Replace(pattern, content, StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes(token);
    }

    private void ReadEach(JsonElement element, string member, string path, Action<JsonElement, string> read)
    {
        var items = Required(element, member, JsonValueKind.Array, $"{path}.{member}");
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            read(item, $"{path}.{member}[{index++}]");
        }
    }

    private string TypeOf(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Fail($"{path} must be an object");
        }

        return RequiredString(element, "type", $"{path}.type");
    }

    private static JsonElement? Optional(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    private JsonElement Required(JsonElement element, string name, JsonValueKind kind, string path)
    {
        var value = Optional(element, name) ?? throw Fail($"{path} is missing");
        return value.ValueKind == kind ? value : throw Fail($"{path} must be {Describe(kind)}, got {value.ValueKind}");
    }

    private string RequiredString(JsonElement element, string name, string path) =>
        Required(element, name, JsonValueKind.String, path).GetString()!;

    private string? OptionalString(JsonElement element, string name, string path) =>
        Optional(element, name) is { } value
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : throw Fail($"{path} must be a string")
            : null;

    private bool OptionalBool(JsonElement element, string name, string path, bool defaultValue = false) =>
        Optional(element, name) is { } value
            ? value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Fail($"{path} must be true or false"),
            }
            : defaultValue;

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => kind.ToString(),
    };

    private TokenizerFormatException Fail(string problem, Exception? inner = null) =>
        inner is null
            ? new TokenizerFormatException($"{_source}: {problem}")
            : new TokenizerFormatException($"{_source}: {problem}", inner);
}
