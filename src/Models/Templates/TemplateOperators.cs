using System.Globalization;

namespace LlmQueue.Models.Templates;

/// <summary>Binary operators with Python's typing rules: no implicit string conversion except '~'.</summary>
internal static class TemplateOperators
{
    public static object? Apply(string op, object? left, object? right) => op switch
    {
        "==" => TemplateValues.AreEqual(left, right),
        "!=" => !TemplateValues.AreEqual(left, right),
        "<" => Order(op, left, right) < 0,
        ">" => Order(op, left, right) > 0,
        "<=" => Order(op, left, right) <= 0,
        ">=" => Order(op, left, right) >= 0,
        "in" => Contains(right, left),
        "not in" => !Contains(right, left),
        "~" => TemplateValues.ToText(left) + TemplateValues.ToText(right),
        "+" => Add(left, right),
        _ => Arithmetic(op, left, right),
    };

    private static int Order(string op, object? left, object? right) => TemplateValues.Compare(left, right)
        ?? throw Unsupported(op, left, right);

    private static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string part => s.Contains(part, StringComparison.Ordinal),
        List<object?> list => list.Any(x => TemplateValues.AreEqual(x, item)),
        Dictionary<string, object?> map => item is string key && map.ContainsKey(key),
        Undefined => false,
        _ => throw new InvalidOperationException($"'in' needs a string, list or mapping on the right, got a {TemplateValues.TypeName(container)}"),
    };

    private static object Add(object? left, object? right) => (left, right) switch
    {
        (string a, string b) => a + b,
        (List<object?> a, List<object?> b) => a.Concat(b).ToList(),
        _ => Arithmetic("+", left, right),
    };

    private static object Arithmetic(string op, object? left, object? right)
    {
        if (left is long a && right is long b)
        {
            // Arms are boxed one by one: a switch expression would otherwise widen every integer result to double.
            return op switch
            {
                "+" => (object)(a + b),
                "-" => a - b,
                "*" => a * b,
                "/" => (double)a / b,
                "//" => b == 0 ? throw DivisionByZero() : (long)Math.Floor((double)a / b),
                "%" => b == 0 ? throw DivisionByZero() : ((a % b) + b) % b,
                "**" => b >= 0 ? (object)(long)Math.Pow(a, b) : Math.Pow(a, b),
                _ => throw Unsupported(op, left, right),
            };
        }

        if (left is long or double && right is long or double)
        {
            var x = Convert.ToDouble(left, CultureInfo.InvariantCulture);
            var y = Convert.ToDouble(right, CultureInfo.InvariantCulture);
            return op switch
            {
                "+" => x + y,
                "-" => x - y,
                "*" => x * y,
                "/" => x / y,
                "//" => Math.Floor(x / y),
                "%" => x - (y * Math.Floor(x / y)),
                "**" => Math.Pow(x, y),
                _ => throw Unsupported(op, left, right),
            };
        }

        if (op == "*" && left is string text && right is long times)
        {
            return string.Concat(Enumerable.Repeat(text, (int)Math.Max(0, times)));
        }

        throw Unsupported(op, left, right);
    }

    private static InvalidOperationException DivisionByZero() => new("integer division or modulo by zero");

    private static InvalidOperationException Unsupported(string op, object? left, object? right) =>
        new($"unsupported operand types for '{op}': {TemplateValues.TypeName(left)} and {TemplateValues.TypeName(right)}");
}
