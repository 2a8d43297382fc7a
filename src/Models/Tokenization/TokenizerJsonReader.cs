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

    /// <param name="extraAddedTokens">Added tokens from tokenizer_config.json; those whose id tokenizer.json does not already add are appended.</param>
    /// <param name="extraSpecialTokens">Special tokens the config names (bos, eos...); vocabulary tokens among them not yet added become special added tokens.</param>
    public TokenizerParts Read(
        ReadOnlyMemory<byte> utf8Json, IReadOnlyList<AddedToken>? extraAddedTokens = null, IReadOnlyList<string>? extraSpecialTokens = null)
    {
        TokenizerJsonSections sections;
        try
        {
            sections = TokenizerJsonSections.Read(utf8Json, new BpeSectionReader(problem => Fail(problem)));
        }
        catch (JsonException ex)
        {
            throw Fail($"not valid JSON: {ex.Message}", ex);
        }
        catch (InvalidDataException ex)
        {
            throw Fail(ex.Message, ex);
        }

        using (sections)
        {
            return Read(sections, extraAddedTokens ?? [], extraSpecialTokens ?? []);
        }
    }

    private TokenizerParts Read(TokenizerJsonSections sections, IReadOnlyList<AddedToken> extraAddedTokens, IReadOnlyList<string> extraSpecialTokens)
    {
        var root = sections.Rest.RootElement;
        var normalizers = new List<Normalizer>();
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
        var vocab = sections.Vocab ?? throw Fail("model.vocab is missing");
        var added = ReadAddedTokens(root);
        var addedIds = added.Select(t => t.Id).ToHashSet();
        added.AddRange(extraAddedTokens.Where(t => addedIds.Add(t.Id)));
        var addedContents = added.Select(t => t.Content).ToHashSet(StringComparer.Ordinal);
        foreach (var content in extraSpecialTokens)
        {
            if (addedContents.Add(content) && vocab.TryGetValue(content, out var id) && addedIds.Add(id))
            {
                added.Add(new AddedToken(id, content, Special: true));
            }
        }
        var (prefix, suffix) = Optional(root, "post_processor") is { } post
            ? ReadPostProcessor(post, "post_processor")
            : ([], []);

        var idToToken = BuildIdToToken(vocab, added);
        if (_addPrefixSpace)
        {
            // ByteLevel's add_prefix_space acts after normalization, before splitting.
            normalizers.Add(new PrependNormalizer(" ", unlessPresent: true));
        }

        return new TokenizerParts(
            ReadModel(model, vocab, sections.Merges),
            normalizers,
            new PreTokenizer(_splitRules),
            added,
            prefix,
            suffix,
            idToToken,
            vocab,
            TokenByteTable.Build(idToToken, WriteTokenBytes));
    }

    private BpeModel ReadModel(JsonElement model, VocabTable vocab, MergeTable? merges)
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
            merges ?? throw Fail("model.merges is missing"),
            _byteLevelPreTokenizer,
            OptionalBool(model, "byte_fallback", "model.byte_fallback"),
            OptionalBool(model, "ignore_merges", "model.ignore_merges"),
            unkId));
    }

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

    private void ReadNormalizer(JsonElement element, string path, List<Normalizer> normalizers)
    {
        switch (TypeOf(element, path))
        {
            case "Sequence":
                ReadEach(element, "normalizers", path, (item, itemPath) => ReadNormalizer(item, itemPath, normalizers));
                break;
            case "NFC":
                normalizers.Add(new UnicodeNormalizer(NormalizationForm.FormC));
                break;
            case "NFD":
                normalizers.Add(new UnicodeNormalizer(NormalizationForm.FormD));
                break;
            case "NFKC":
                normalizers.Add(new UnicodeNormalizer(NormalizationForm.FormKC));
                break;
            case "NFKD":
                normalizers.Add(new UnicodeNormalizer(NormalizationForm.FormKD));
                break;
            case "Lowercase":
                normalizers.Add(new LowercaseNormalizer());
                break;
            case "Prepend":
                var prepend = RequiredString(element, "prepend", $"{path}.prepend");
                normalizers.Add(new PrependNormalizer(prepend, unlessPresent: false));
                break;
            case "Replace":
                normalizers.Add(ReadReplaceNormalizer(element, path));
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
                    _splitRules.Add(new SplitRule(SplitPattern.FromRegex(PreTokenizer.Gpt2Pattern), SplitBehavior.Isolated));
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

                _splitRules.Add(new SplitRule(ReadSplitPattern(element, path), behavior));
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

    private Normalizer ReadReplaceNormalizer(JsonElement element, string path)
    {
        var content = RequiredString(element, "content", $"{path}.content");
        var (literal, regex) = ReadPattern(element, path);
        return literal switch
        {
            null => new RegexReplaceNormalizer(CompileRegex(regex!, path), content),
            { Length: 1 } when content.Length == 1 => new CharReplaceNormalizer(literal[0], content[0]),
            _ => new LiteralReplaceNormalizer(literal, content),
        };
    }

    private SplitPattern ReadSplitPattern(JsonElement element, string path)
    {
        var (literal, regex) = ReadPattern(element, path);
        if (literal is not null)
        {
            return SplitPattern.Literal(literal);
        }

        try
        {
            return SplitPattern.FromRegex(regex!);
        }
        catch (ArgumentException ex)
        {
            throw Fail($"{path}.pattern.Regex cannot be compiled: {ex.Message}", ex);
        }
    }

    /// <summary>A pattern is {"String": literal} or {"Regex": pattern}; exactly one of the two is returned.</summary>
    private (string? Literal, string? Regex) ReadPattern(JsonElement element, string path)
    {
        var pattern = Required(element, "pattern", JsonValueKind.Object, $"{path}.pattern");
        if (OptionalString(pattern, "String", $"{path}.pattern.String") is { } literal)
        {
            return literal.Length > 0 ? (literal, null) : throw Fail($"{path}.pattern.String is empty");
        }

        return (null, OptionalString(pattern, "Regex", $"{path}.pattern.Regex")
            ?? throw Fail($"{path}.pattern must have a \"String\" or \"Regex\" member"));
    }

    private Regex CompileRegex(string regex, string path)
    {
        try
        {
            return new Regex(regex, RegexOptions.CultureInvariant);
        }
        catch (ArgumentException ex)
        {
            throw Fail($"{path}.pattern.Regex cannot be compiled: {ex.Message}", ex);
        }
    }

    private static string?[] BuildIdToToken(VocabTable vocab, List<AddedToken> added)
    {
        var size = Math.Max(vocab.Entries.Max(e => e.Value), added.Count == 0 ? -1 : added.Max(t => t.Id)) + 1;
        var tokens = new string?[size];
        foreach (var (token, id) in vocab.Entries)
        {
            tokens[id] ??= token;
        }

        foreach (var token in added)
        {
            tokens[token.Id] = token.Content;
        }

        return tokens;
    }

    /// <summary>The bytes a token decodes to, through the decoder read from tokenizer.json; -1 when they do not fit.</summary>
    private int WriteTokenBytes(string token, Span<byte> destination)
    {
        if (_byteLevelDecoder)
        {
            return ByteLevelAlphabet.TryDecode(token, destination);
        }

        if (_byteFallbackDecoder && token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal)
            && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
        {
            if (destination.IsEmpty)
            {
                return -1;
            }

            destination[0] = value;
            return 1;
        }

        foreach (var (pattern, content) in _decoderReplacements)
        {
            if (token.Contains(pattern, StringComparison.Ordinal))
            {
                token = token.Replace(pattern, content, StringComparison.Ordinal);
            }
        }

        return Encoding.UTF8.TryGetBytes(token, destination, out var written) ? written : -1;
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
