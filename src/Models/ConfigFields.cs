using System.Text.Json;
using LlmQueue.Models.Weights;

namespace LlmQueue.Models;

/// <summary>Typed, validated access to config.json fields; every failure names the file and field.</summary>
internal readonly struct ConfigFields
{
    private readonly JsonElement _root;
    private readonly string _source;
    private readonly string _path;

    public ConfigFields(JsonElement root, string source)
        : this(root, source, path: "")
    {
    }

    private ConfigFields(JsonElement root, string source, string path)
    {
        _source = source;
        _path = path;
        _root = root.ValueKind == JsonValueKind.Object
            ? root
            : throw ModelLoadException.For(source, path.Length == 0
                ? "top-level JSON value must be an object."
                : $"field '{path.TrimEnd('.')}': must be an object, got {root.GetRawText()}.");
    }

    /// <summary>Fails naming the field by its full path (e.g. 'text_config.hidden_size').</summary>
    public ModelLoadException Fail(string field, string problem) =>
        ModelLoadException.For(_source, $"field '{_path}{field}': {problem}");

    /// <summary>A nested object (text_config, rope_scaling), or null when absent or null.</summary>
    public ConfigFields? OptionalObject(string field) =>
        TryGet(field, out var value) ? new ConfigFields(value, _source, $"{_path}{field}.") : null;

    /// <summary>True when the field is present, even as null.</summary>
    public bool Contains(string field) => _root.TryGetProperty(field, out _);

    public bool TryGet(string field, out JsonElement value) =>
        _root.TryGetProperty(field, out value) && value.ValueKind != JsonValueKind.Null;

    public int RequiredPositiveInt(string field) =>
        OptionalPositiveInt(field) ?? throw Fail(field, "required but missing.");

    public int? OptionalPositiveInt(string field)
    {
        if (!TryGet(field, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) && number > 0
            ? number
            : throw Fail(field, $"must be a positive integer, got {value.GetRawText()}.");
    }

    public float? OptionalPositiveFloat(string field)
    {
        if (!TryGet(field, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double number) && number > 0
            && double.IsFinite(number)
            ? (float)number
            : throw Fail(field, $"must be a positive number, got {value.GetRawText()}.");
    }

    public bool? OptionalBool(string field)
    {
        if (!TryGet(field, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Fail(field, $"must be true or false, got {value.GetRawText()}."),
        };
    }

    public string? OptionalString(string field)
    {
        if (!TryGet(field, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw Fail(field, $"must be a string, got {value.GetRawText()}.");
    }

    public List<string>? OptionalStringList(string field)
    {
        if (!TryGet(field, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Fail(field, $"must be an array of strings, got {value.GetRawText()}.");
        }

        var items = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            items.Add(item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw Fail(field, $"must be an array of strings, got {value.GetRawText()}."));
        }

        return items;
    }

    /// <summary>A token id given as an int or a list of ints (eos_token_id may be either).</summary>
    public List<int>? OptionalTokenIds(string field)
    {
        if (!TryGet(field, out var value))
        {
            return null;
        }

        var elements = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];
        var ids = new List<int>(elements.Count);
        foreach (var element in elements)
        {
            ids.Add(element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out int id) && id >= 0
                ? id
                : throw Fail(field, $"must be a non-negative integer or a list of them, got {value.GetRawText()}."));
        }

        return ids;
    }
}
