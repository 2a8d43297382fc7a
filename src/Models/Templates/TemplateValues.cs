using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LlmQueue.Models.Templates;

/// <summary>Jinja's value for a missing variable, key or attribute: falsy, prints as nothing.</summary>
internal sealed class Undefined
{
    public static readonly Undefined Instance = new();

    private Undefined()
    {
    }
}

/// <summary>The object namespace(...) returns: the one mutable thing a loop body can write to.</summary>
internal sealed class TemplateNamespace : Dictionary<string, object?>;

/// <summary>A callable value (global function or bound string/dict method).</summary>
internal delegate object? TemplateFunction(IReadOnlyList<object?> positional, IReadOnlyDictionary<string, object?> named);

/// <summary>
/// Python semantics of template values: None is null, integers are long, floats double, strings string,
/// lists List&lt;object?&gt;, mappings Dictionary&lt;string, object?&gt;.
/// </summary>
internal static class TemplateValues
{
    public static bool IsTruthy(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        System.Collections.ICollection c => c.Count > 0,
        _ => true,
    };

    /// <summary>Python's str(), which is what {{ value }} prints.</summary>
    public static string ToText(object? value) => value switch
    {
        string s => s,
        Undefined => string.Empty,
        _ => Repr(value),
    };

    public static string Repr(object? value) => value switch
    {
        null => "None",
        Undefined => string.Empty,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        string s => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'",
        List<object?> list => "[" + string.Join(", ", list.Select(Repr)) + "]",
        Dictionary<string, object?> map => "{" + string.Join(", ", map.Select(p => Repr(p.Key) + ": " + Repr(p.Value))) + "}",
        _ => value.ToString() ?? string.Empty,
    };

    private static string FormatFloat(double d)
    {
        var text = d.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text : text + ".0";
    }

    public static bool AreEqual(object? left, object? right) => (left, right) switch
    {
        (null, null) => true,
        (Undefined, Undefined) => true,
        (bool a, bool b) => a == b,
        (long a, long b) => a == b,
        (long or double, long or double) => Convert.ToDouble(left, CultureInfo.InvariantCulture) == Convert.ToDouble(right, CultureInfo.InvariantCulture),
        (string a, string b) => a == b,
        (List<object?> a, List<object?> b) => a.Count == b.Count && a.Zip(b).All(p => AreEqual(p.First, p.Second)),
        (Dictionary<string, object?> a, Dictionary<string, object?> b) =>
            a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && AreEqual(p.Value, v)),
        _ => ReferenceEquals(left, right),
    };

    /// <summary>Ordering of numbers or of strings (ordinal, as Python); null when the pair cannot be ordered.</summary>
    public static int? Compare(object? left, object? right) => (left, right) switch
    {
        (long a, long b) => a.CompareTo(b),
        (long or double, long or double) => Convert.ToDouble(left, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(right, CultureInfo.InvariantCulture)),
        (string a, string b) => string.CompareOrdinal(a, b),
        _ => null,
    };

    public static string TypeName(object? value) => value switch
    {
        null => "None",
        Undefined => "undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        TemplateNamespace => "namespace",
        Dictionary<string, object?> => "dict",
        TemplateFunction => "function",
        _ => value.GetType().Name,
    };

    /// <summary>transformers' tojson: json.dumps(value, ensure_ascii=False) with Python's ", " and ": " separators.</summary>
    public static string ToJson(object? value)
    {
        var builder = new StringBuilder();
        AppendJson(builder, value);
        return builder.ToString();
    }

    private static void AppendJson(StringBuilder builder, object? value)
    {
        switch (value)
        {
            case null or Undefined:
                builder.Append("null");
                break;
            case bool b:
                builder.Append(b ? "true" : "false");
                break;
            case long or double:
                builder.Append(Repr(value));
                break;
            case string s:
                builder.Append(JsonSerializer.Serialize(s, s_unescapedJson));
                break;
            case List<object?> list:
                builder.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    builder.Append(i == 0 ? string.Empty : ", ");
                    AppendJson(builder, list[i]);
                }

                builder.Append(']');
                break;
            case Dictionary<string, object?> map:
                builder.Append('{');
                var first = true;
                foreach (var (key, item) in map)
                {
                    builder.Append(first ? string.Empty : ", ");
                    first = false;
                    AppendJson(builder, key);
                    builder.Append(": ");
                    AppendJson(builder, item);
                }

                builder.Append('}');
                break;
            default:
                throw new InvalidOperationException($"cannot convert a {TypeName(value)} to JSON");
        }
    }

    private static readonly JsonSerializerOptions s_unescapedJson = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
