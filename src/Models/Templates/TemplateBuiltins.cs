using System.Globalization;

namespace LlmQueue.Models.Templates;

/// <summary>
/// The filters, tests, global functions and string/dict methods the supported chat templates use. Errors are
/// InvalidOperationException; the evaluator adds the template position.
/// </summary>
internal static class TemplateBuiltins
{
    public static readonly IReadOnlyDictionary<string, object?> Globals = new Dictionary<string, object?>
    {
        ["raise_exception"] = (TemplateFunction)((args, _) =>
            throw new TemplateRaisedException(args.Count > 0 ? TemplateValues.ToText(args[0]) : "raise_exception called")),
        ["namespace"] = (TemplateFunction)((_, named) =>
        {
            var ns = new TemplateNamespace();
            foreach (var (key, value) in named)
            {
                ns[key] = value;
            }

            return ns;
        }),
        ["range"] = (TemplateFunction)((args, _) => Range(args)),
    };

    public static object? ApplyFilter(string name, object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> named) => name switch
    {
        "trim" => AsString(value, name).Trim(),
        "lower" => AsString(value, name).ToLowerInvariant(),
        "upper" => AsString(value, name).ToUpperInvariant(),
        "capitalize" => Capitalize(AsString(value, name)),
        "length" or "count" => (long)Length(value),
        "first" => AsList(value, name) is { Count: > 0 } l ? l[0] : Undefined.Instance,
        "last" => AsList(value, name) is { Count: > 0 } l ? l[^1] : Undefined.Instance,
        "reverse" => value is string s ? new string(s.Reverse().ToArray()) : Enumerable.Reverse(AsList(value, name)).ToList(),
        "list" => AsList(value, name).ToList(),
        "join" => string.Join(args.Count > 0 ? TemplateValues.ToText(args[0]) : string.Empty, AsList(value, name).Select(TemplateValues.ToText)),
        "default" or "d" => value is Undefined || (args.Count > 1 && TemplateValues.IsTruthy(args[1]) && !TemplateValues.IsTruthy(value))
            ? (args.Count > 0 ? args[0] : string.Empty)
            : value,
        "string" => TemplateValues.ToText(value),
        "int" => ToInteger(value),
        "replace" => AsString(value, name).Replace(AsString(Argument(args, 0, name), name), AsString(Argument(args, 1, name), name), StringComparison.Ordinal),
        "tojson" => TemplateValues.ToJson(value),
        "items" => Items(value, name),
        _ => throw new InvalidOperationException($"unknown filter '{name}'"),
    };

    public static bool ApplyTest(string name, object? value, IReadOnlyList<object?> args) => name switch
    {
        "defined" => value is not Undefined,
        "undefined" => value is Undefined,
        "none" => value is null,
        "string" => value is string,
        "number" => value is long or double,
        "integer" => value is long,
        "float" => value is double,
        "boolean" => value is bool,
        "true" => value is true,
        "false" => value is false,
        "mapping" => value is Dictionary<string, object?>,
        "sequence" or "iterable" => value is string or List<object?> or Dictionary<string, object?>,
        "callable" => value is TemplateFunction,
        "odd" => ToInteger(value) % 2 != 0,
        "even" => ToInteger(value) % 2 == 0,
        "eq" or "equalto" or "==" => TemplateValues.AreEqual(value, Argument(args, 0, name)),
        "ne" or "!=" => !TemplateValues.AreEqual(value, Argument(args, 0, name)),
        _ => throw new InvalidOperationException($"unknown test '{name}'"),
    };

    /// <summary>A bound method of a string or mapping, or null when the value has no such method.</summary>
    public static TemplateFunction? Method(object? target, string name) => target switch
    {
        string s => StringMethod(s, name),
        Dictionary<string, object?> map => MapMethod(map, name),
        _ => null,
    };

    private static TemplateFunction? StringMethod(string s, string name) => name switch
    {
        "strip" => (args, _) => Strip(s, args, start: true, end: true),
        "lstrip" => (args, _) => Strip(s, args, start: true, end: false),
        "rstrip" => (args, _) => Strip(s, args, start: false, end: true),
        "startswith" => (args, _) => Affixes(Argument(args, 0, name)).Any(p => s.StartsWith(p, StringComparison.Ordinal)),
        "endswith" => (args, _) => Affixes(Argument(args, 0, name)).Any(p => s.EndsWith(p, StringComparison.Ordinal)),
        "split" => (args, _) => Split(s, args),
        "upper" => (_, _) => s.ToUpperInvariant(),
        "lower" => (_, _) => s.ToLowerInvariant(),
        "capitalize" => (_, _) => Capitalize(s),
        "replace" => (args, _) => s.Replace(AsString(Argument(args, 0, name), name), AsString(Argument(args, 1, name), name), StringComparison.Ordinal),
        "join" => (args, _) => string.Join(s, AsList(Argument(args, 0, name), name).Select(TemplateValues.ToText)),
        _ => null,
    };

    private static TemplateFunction? MapMethod(Dictionary<string, object?> map, string name) => name switch
    {
        "items" => (_, _) => Items(map, name),
        "keys" => (_, _) => map.Keys.Cast<object?>().ToList(),
        "values" => (_, _) => map.Values.ToList(),
        "get" => (args, _) => map.TryGetValue(AsString(Argument(args, 0, name), name), out var v) ? v : (args.Count > 1 ? args[1] : null),
        _ => null,
    };

    /// <summary>The items a for loop visits: list elements, string characters (code points) or mapping keys.</summary>
    public static IReadOnlyList<object?> AsList(object? value, string context) => value switch
    {
        List<object?> list => list,
        string s => CodePointsOf(s),
        Dictionary<string, object?> map => map.Keys.Cast<object?>().ToList(),
        Undefined => [],
        _ => throw new InvalidOperationException($"{context}: a {TemplateValues.TypeName(value)} is not iterable"),
    };

    private static List<object?> CodePointsOf(string s)
    {
        var items = new List<object?>(s.Length);
        foreach (var rune in s.EnumerateRunes())
        {
            items.Add(rune.ToString());
        }

        return items;
    }

    private static int Length(object? value) => value switch
    {
        string s => s.EnumerateRunes().Count(),
        List<object?> l => l.Count,
        Dictionary<string, object?> m => m.Count,
        Undefined => 0,
        _ => throw new InvalidOperationException($"length: a {TemplateValues.TypeName(value)} has no length"),
    };

    private static List<object?> Items(object? value, string context) => value is Dictionary<string, object?> map
        ? map.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList()
        : throw new InvalidOperationException($"{context}: expected a mapping, got a {TemplateValues.TypeName(value)}");

    private static string AsString(object? value, string context) => value as string
        ?? throw new InvalidOperationException($"{context}: expected a string, got a {TemplateValues.TypeName(value)}");

    private static object? Argument(IReadOnlyList<object?> args, int index, string context) => index < args.Count
        ? args[index]
        : throw new InvalidOperationException($"{context}: missing argument {index + 1}");

    private static long ToInteger(object? value) => value switch
    {
        long l => l,
        double d => (long)d,
        bool b => b ? 1 : 0,
        string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        _ => 0,
    };

    private static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Python's str.strip family: whitespace by default, else any of the given characters.</summary>
    private static string Strip(string s, IReadOnlyList<object?> args, bool start, bool end)
    {
        var chars = args.Count > 0 && args[0] is string set ? set : null;
        bool Strippable(char c) => chars is null ? char.IsWhiteSpace(c) : chars.Contains(c, StringComparison.Ordinal);
        var from = 0;
        var to = s.Length;
        while (start && from < to && Strippable(s[from]))
        {
            from++;
        }

        while (end && to > from && Strippable(s[to - 1]))
        {
            to--;
        }

        return s[from..to];
    }

    private static IEnumerable<string> Affixes(object? value) => value switch
    {
        string s => [s],
        List<object?> list => list.Select(v => AsString(v, "startswith/endswith")),
        _ => throw new InvalidOperationException($"startswith/endswith: expected a string, got a {TemplateValues.TypeName(value)}"),
    };

    /// <summary>Python's str.split: on whitespace runs without a separator, else on the exact separator.</summary>
    private static List<object?> Split(string s, IReadOnlyList<object?> args)
    {
        var separator = args.Count > 0 ? args[0] : null;
        var maxSplit = args.Count > 1 ? ToInteger(args[1]) : -1;
        var count = maxSplit < 0 ? int.MaxValue : (int)Math.Min(maxSplit + 1, int.MaxValue);
        if (separator is null)
        {
            return s.Split((char[]?)null, count, StringSplitOptions.RemoveEmptyEntries).Cast<object?>().ToList();
        }

        var text = AsString(separator, "split");
        if (text.Length == 0)
        {
            throw new InvalidOperationException("split: empty separator");
        }

        return s.Split(text, count).Cast<object?>().ToList();
    }

    private static List<object?> Range(IReadOnlyList<object?> args)
    {
        var (start, stop, step) = args.Count switch
        {
            1 => (0L, ToInteger(args[0]), 1L),
            2 => (ToInteger(args[0]), ToInteger(args[1]), 1L),
            3 => (ToInteger(args[0]), ToInteger(args[1]), ToInteger(args[2])),
            _ => throw new InvalidOperationException("range: expected 1 to 3 arguments"),
        };
        if (step == 0)
        {
            throw new InvalidOperationException("range: step must not be zero");
        }

        var items = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            items.Add(i);
        }

        return items;
    }
}
