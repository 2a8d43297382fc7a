using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace LlmQueue.Infra.Tests.Bicep;

/// <summary>
/// Reads ARM template expressions (the "[...]" strings in compiled templates and snapshots) into a tree, and folds
/// the parts made only of literals back into JSON. Nothing is evaluated that depends on a deployment.
/// </summary>
internal static class ArmExpression
{
    /// <summary>Whether a JSON string value is an expression ("[...]"; "[[" escapes a literal bracket).</summary>
    public static bool IsExpression(string value) =>
        value.Length >= 2 && value[0] == '[' && value[^1] == ']' && value[1] != '[';

    /// <summary>Parses an expression string including its surrounding brackets.</summary>
    public static ArmNode Parse(string value)
    {
        if (!IsExpression(value))
        {
            throw new FormatException($"Not an ARM expression: {value}");
        }

        var parser = new Parser(value[1..^1]);
        var node = parser.ParseExpression();
        parser.ExpectEnd();
        return node;
    }

    /// <summary>
    /// The JSON a node stands for where it is built from literals (createArray, createObject, literals); any other
    /// sub-expression stays as its "[...]" string, the way a template would hold it.
    /// </summary>
    public static JsonNode Fold(ArmNode node) => node switch
    {
        ArmLiteral literal => literal.Value.DeepClone(),
        ArmCall { Function: "createArray" } call => new JsonArray(call.Arguments.Select(Fold).ToArray()),
        ArmCall { Function: "createObject" } call when call.Arguments.Count % 2 == 0 && call.Arguments.Where((_, i) => i % 2 == 0).All(key => key is ArmLiteral) =>
            new JsonObject(call.Arguments.Chunk(2).Select(pair =>
                KeyValuePair.Create(((ArmLiteral)pair[0]).Value.GetValue<string>(), (JsonNode?)Fold(pair[1])))),
        _ => JsonValue.Create($"[{node.Text}]"),
    };

    /// <summary>
    /// The elements of an array-valued property: a JSON array as it is, or the literal createArray parts of a
    /// concat(...) expression. Parts added under a condition (if(...)) are not listed.
    /// </summary>
    public static IReadOnlyList<JsonNode> KnownElements(JsonNode? value)
    {
        if (value is JsonArray array)
        {
            return array.Select(element => element!).ToArray();
        }

        if (value is JsonValue text && text.TryGetValue<string>(out var expression) && IsExpression(expression))
        {
            var node = Parse(expression);
            var parts = node is ArmCall { Function: "concat" } concat ? concat.Arguments : [node];
            return parts.OfType<ArmCall>().Where(part => part.Function == "createArray")
                .SelectMany(part => part.Arguments.Select(Fold))
                .ToArray();
        }

        throw new FormatException($"Not an array: {value?.ToJsonString()}");
    }

    private sealed class Parser(string text)
    {
        private int _position;

        public ArmNode ParseExpression()
        {
            var start = SkipSpaces();
            var node = ParsePrimary();
            while (true)
            {
                SkipSpaces();
                if (TryTake('.'))
                {
                    var name = ReadIdentifier();
                    node = new ArmProperty(text[start.._position], node, name);
                }
                else if (TryTake('['))
                {
                    var index = ParseExpression();
                    SkipSpaces();
                    Expect(']');
                    node = new ArmIndex(text[start.._position], node, index);
                }
                else
                {
                    return node;
                }
            }
        }

        public void ExpectEnd()
        {
            SkipSpaces();
            if (_position != text.Length)
            {
                throw Error("end of expression");
            }
        }

        private ArmNode ParsePrimary()
        {
            var start = _position;
            if (_position >= text.Length)
            {
                throw Error("a value");
            }

            var c = text[_position];
            if (c == '\'')
            {
                var value = ReadString();
                return new ArmLiteral(text[start.._position], JsonValue.Create(value));
            }

            if (char.IsAsciiDigit(c) || c == '-')
            {
                _position++;
                while (_position < text.Length && (char.IsAsciiDigit(text[_position]) || text[_position] == '.'))
                {
                    _position++;
                }

                var number = decimal.Parse(text[start.._position], NumberStyles.Float, CultureInfo.InvariantCulture);
                return new ArmLiteral(text[start.._position], JsonValue.Create(number));
            }

            var function = ReadIdentifier();
            SkipSpaces();
            Expect('(');
            var arguments = new List<ArmNode>();
            SkipSpaces();
            if (!TryTake(')'))
            {
                do
                {
                    arguments.Add(ParseExpression());
                    SkipSpaces();
                }
                while (TryTake(','));
                Expect(')');
            }

            return new ArmCall(text[start.._position], function, arguments);
        }

        private string ReadString()
        {
            Expect('\'');
            var value = new StringBuilder();
            while (true)
            {
                if (_position >= text.Length)
                {
                    throw Error("a closing quote");
                }

                var c = text[_position++];
                if (c != '\'')
                {
                    value.Append(c);
                }
                else if (_position < text.Length && text[_position] == '\'')
                {
                    // '' inside a string is one quote.
                    value.Append('\'');
                    _position++;
                }
                else
                {
                    return value.ToString();
                }
            }
        }

        private string ReadIdentifier()
        {
            var start = _position;
            while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] == '_'))
            {
                _position++;
            }

            return _position > start ? text[start.._position] : throw Error("a name");
        }

        private int SkipSpaces()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }

            return _position;
        }

        private bool TryTake(char c)
        {
            if (_position < text.Length && text[_position] == c)
            {
                _position++;
                return true;
            }

            return false;
        }

        private void Expect(char c)
        {
            if (!TryTake(c))
            {
                throw Error($"'{c}'");
            }
        }

        private FormatException Error(string expected) =>
            new($"Expected {expected} at {_position} in [{text}]");
    }
}
