using System.Text.Json;
using LlmQueue.Models.Templates;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// What a Hugging Face model folder says about tokenization, loaded in one call: tokenizer.json, and from
/// tokenizer_config.json the added tokens it declares (added_tokens_decoder and the named special tokens, as
/// transformers adds them), bos/eos and the chat template. The config is optional; without it the tokenizer is
/// tokenizer.json alone and there is no chat template.
/// </summary>
public sealed class PretrainedTokenizer
{
    public const string TokenizerFileName = "tokenizer.json";
    public const string ConfigFileName = "tokenizer_config.json";

    private static readonly string[] s_namedSpecialTokens = ["bos_token", "eos_token", "unk_token", "pad_token"];

    private PretrainedTokenizer(Tokenizer tokenizer, ChatTemplate? chatTemplate, string? bosToken, string? eosToken)
    {
        Tokenizer = tokenizer;
        ChatTemplate = chatTemplate;
        BosToken = bosToken;
        EosToken = eosToken;
    }

    public Tokenizer Tokenizer { get; }

    /// <summary>The config's chat_template, or null when it has none.</summary>
    public ChatTemplate? ChatTemplate { get; }

    public string? BosToken { get; }

    /// <summary>The config's eos_token (for chat models often the end-of-turn token, e.g. &lt;|im_end|&gt;).</summary>
    public string? EosToken { get; }

    public int? BosTokenId => BosToken is null ? null : Tokenizer.TokenToId(BosToken);

    public int? EosTokenId => EosToken is null ? null : Tokenizer.TokenToId(EosToken);

    /// <summary>
    /// Loads <paramref name="folder"/>; a missing or malformed tokenizer.json or config is a
    /// <see cref="TokenizerFormatException"/>, a bad chat template a <see cref="TemplateException"/>, each naming the file.
    /// </summary>
    public static PretrainedTokenizer FromFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var tokenizerPath = Path.Combine(folder, TokenizerFileName);
        var configPath = Path.Combine(folder, ConfigFileName);
        if (!File.Exists(configPath))
        {
            return new PretrainedTokenizer(Tokenizer.FromFile(tokenizerPath), null, null, null);
        }

        var configJson = ReadConfig(configPath);
        using var config = ParseConfig(configJson, configPath);
        var root = config.RootElement;
        var named = s_namedSpecialTokens.ToDictionary(key => key, key => TokenContent(root, key));
        var specialContents = named.Values.OfType<string>().Concat(AdditionalSpecialTokens(root)).ToList();
        var tokenizer = new Tokenizer(new TokenizerJsonReader(tokenizerPath)
            .Read(Tokenizer.ReadFile(tokenizerPath), DeclaredAddedTokens(root, configPath), specialContents));
        var chatTemplate = root.TryGetProperty("chat_template", out var template) && template.ValueKind != JsonValueKind.Null
            ? ChatTemplate.FromTokenizerConfigJson(configJson, configPath)
            : null;
        return new PretrainedTokenizer(tokenizer, chatTemplate, named["bos_token"], named["eos_token"]);
    }

    private static string ReadConfig(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerFormatException($"{path}: cannot read the tokenizer config: {ex.Message}", ex);
        }
    }

    private static JsonDocument ParseConfig(string json, string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new TokenizerFormatException($"{path}: not valid JSON: {ex.Message}", ex);
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new TokenizerFormatException($"{path}: the top level must be a JSON object");
        }

        return document;
    }

    /// <summary>added_tokens_decoder: {"id": {"content", "special", ...}}.</summary>
    private static List<AddedToken> DeclaredAddedTokens(JsonElement root, string path)
    {
        var tokens = new List<AddedToken>();
        if (!root.TryGetProperty("added_tokens_decoder", out var declared) || declared.ValueKind == JsonValueKind.Null)
        {
            return tokens;
        }

        if (declared.ValueKind != JsonValueKind.Object)
        {
            throw new TokenizerFormatException($"{path}: added_tokens_decoder must be an object");
        }

        foreach (var entry in declared.EnumerateObject())
        {
            if (!int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
                || entry.Value.ValueKind != JsonValueKind.Object
                || !entry.Value.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String
                || content.GetString() is not { Length: > 0 } text)
            {
                throw new TokenizerFormatException(
                    $"{path}: added_tokens_decoder[\"{entry.Name}\"] must map a non-negative id to an object with a non-empty content");
            }

            var special = entry.Value.TryGetProperty("special", out var flag) && flag.ValueKind == JsonValueKind.True;
            tokens.Add(new AddedToken(id, text, special));
        }

        return tokens;
    }

    private static List<string> AdditionalSpecialTokens(JsonElement root) =>
        root.TryGetProperty("additional_special_tokens", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(Content).OfType<string>().ToList()
            : [];

    private static string? TokenContent(JsonElement root, string key) =>
        root.TryGetProperty(key, out var token) ? Content(token) : null;

    /// <summary>A special token is a string or an AddedToken object with "content"; anything else means not set.</summary>
    private static string? Content(JsonElement token) => token.ValueKind switch
    {
        JsonValueKind.String => token.GetString(),
        JsonValueKind.Object when token.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String => content.GetString(),
        _ => null,
    };
}
