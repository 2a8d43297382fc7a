using System.Text.Json;

namespace LlmQueue.Models.Templates;

/// <summary>
/// A model's chat template (tokenizer_config.json "chat_template") rendered the way transformers'
/// apply_chat_template does: variables messages, add_generation_prompt and the special tokens that are set.
/// </summary>
public sealed class ChatTemplate
{
    private static readonly string[] s_specialTokenKeys = ["bos_token", "eos_token", "unk_token", "pad_token"];

    private readonly TemplateSource _source;
    private readonly IReadOnlyList<Statement> _template;
    private readonly IReadOnlyDictionary<string, object?> _specialTokens;

    private ChatTemplate(TemplateSource source, IReadOnlyDictionary<string, object?> specialTokens)
    {
        _source = source;
        _template = TemplateParser.Parse(source);
        _specialTokens = specialTokens;
    }

    /// <summary>Parses a template string; <paramref name="sourceName"/> names it in error messages.</summary>
    public static ChatTemplate FromString(string template, string sourceName, IReadOnlyDictionary<string, string>? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(sourceName);
        var tokens = (specialTokens ?? new Dictionary<string, string>()).ToDictionary(p => p.Key, p => (object?)p.Value);
        return new ChatTemplate(new TemplateSource(sourceName, template), tokens);
    }

    /// <summary>The template of a model folder's tokenizer_config.json; null when the file or its chat_template is absent.</summary>
    public static ChatTemplate? FromModelFolder(string folder)
    {
        var path = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(path))
        {
            return null;
        }

        var json = ReadConfig(path);
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("chat_template", out var template)
                || template.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
        }
        catch (JsonException ex)
        {
            throw new TemplateException($"{path}: invalid JSON: {ex.Message}", ex);
        }

        return FromTokenizerConfigJson(json, path);
    }

    /// <summary>Loads the chat template and special tokens of a tokenizer_config.json.</summary>
    public static ChatTemplate FromTokenizerConfig(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromTokenizerConfigJson(ReadConfig(path), path);
    }

    public static ChatTemplate FromTokenizerConfigJson(string json, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(sourceName);
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new TemplateException($"{sourceName}: the tokenizer config is not a JSON object");
            }

            var template = ReadTemplate(root, sourceName);
            var specialTokens = new Dictionary<string, string>();
            foreach (var key in s_specialTokenKeys)
            {
                if (root.TryGetProperty(key, out var token) && TokenContent(token) is { } content)
                {
                    specialTokens[key] = content;
                }
            }

            return FromString(template, sourceName + ": chat_template", specialTokens);
        }
        catch (JsonException ex)
        {
            throw new TemplateException($"{sourceName}: invalid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Renders the conversation; template errors and raise_exception give a <see cref="TemplateException"/>.</summary>
    public string Render(IReadOnlyList<(string Role, string Content)> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var variables = new Dictionary<string, object?>(_specialTokens)
        {
            ["messages"] = messages
                .Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content })
                .ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        return TemplateEvaluator.Render(_source, _template, variables);
    }

    /// <summary>chat_template is a string, or a list of {name, template} of which "default" is the chat one.</summary>
    private static string ReadConfig(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TemplateException($"{path}: cannot read the tokenizer config: {ex.Message}", ex);
        }
    }

    private static string ReadTemplate(JsonElement root, string sourceName)
    {
        if (!root.TryGetProperty("chat_template", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new TemplateException($"{sourceName}: no chat_template");
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString()!;
        }

        if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var entry in value.EnumerateArray())
            {
                if (entry.ValueKind == JsonValueKind.Object
                    && entry.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String && name.GetString() == "default"
                    && entry.TryGetProperty("template", out var template) && template.ValueKind == JsonValueKind.String)
                {
                    return template.GetString()!;
                }
            }

            throw new TemplateException($"{sourceName}: chat_template lists no template named \"default\"");
        }

        throw new TemplateException($"{sourceName}: chat_template must be a string or a list of named templates");
    }

    /// <summary>A special token is a string or an AddedToken object with "content"; null means not set.</summary>
    private static string? TokenContent(JsonElement token) => token.ValueKind switch
    {
        JsonValueKind.String => token.GetString(),
        JsonValueKind.Object when token.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String => content.GetString(),
        _ => null,
    };
}
