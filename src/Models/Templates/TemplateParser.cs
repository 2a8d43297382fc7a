using System.Globalization;

namespace LlmQueue.Models.Templates;

/// <summary>Recursive-descent parser for the Jinja subset chat templates use, with Jinja2's operator precedence.</summary>
internal sealed class TemplateParser
{
    private static readonly HashSet<string> s_comparisons = ["==", "!=", "<", ">", "<=", ">="];

    private readonly TemplateSource _source;
    private readonly List<TemplateToken> _tokens;
    private int _index;

    private TemplateParser(TemplateSource source, List<TemplateToken> tokens)
    {
        _source = source;
        _tokens = tokens;
    }

    public static IReadOnlyList<Statement> Parse(TemplateSource source)
    {
        var parser = new TemplateParser(source, TemplateLexer.Tokenize(source));
        var body = parser.ParseStatements(out var terminator);
        if (terminator is not null)
        {
            throw parser.Error(parser.Current, $"unexpected '{{% {terminator} %}}'");
        }

        return body;
    }

    private TemplateToken Current => _tokens[_index];

    private TemplateToken Peek(int ahead) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];

    private TemplateToken Advance() => _tokens[_index++];

    private TemplateException Error(TemplateToken at, string message) => TemplateException.At(_source, at.Offset, message);

    /// <summary>Statements up to the end or to a block tag that closes an enclosing construct, whose keyword
    /// is returned in <paramref name="terminator"/> with the cursor left on that tag's '{%'.</summary>
    private List<Statement> ParseStatements(out string? terminator)
    {
        var statements = new List<Statement>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.End:
                    terminator = null;
                    return statements;
                case TokenKind.Text:
                    statements.Add(new TextStatement(token.Value, token.Offset));
                    Advance();
                    break;
                case TokenKind.VariableStart:
                    Advance();
                    statements.Add(new OutputStatement(ParseExpression(), token.Offset));
                    Expect(TokenKind.VariableEnd, "'}}'");
                    break;
                case TokenKind.BlockStart:
                    var keyword = Peek(1);
                    if (keyword.Kind != TokenKind.Name)
                    {
                        throw Error(keyword, "expected a statement keyword after '{%'");
                    }

                    if (keyword.Value is "elif" or "else" or "endif" or "endfor")
                    {
                        terminator = keyword.Value;
                        return statements;
                    }

                    Advance();
                    Advance();
                    statements.Add(ParseBlock(keyword));
                    break;
                default:
                    throw Error(token, "unexpected token");
            }
        }
    }

    private Statement ParseBlock(TemplateToken keyword) => keyword.Value switch
    {
        "if" => ParseIf(keyword),
        "for" => ParseFor(keyword),
        "set" => ParseSet(keyword),
        _ => throw Error(keyword, $"unsupported statement '{keyword.Value}'"),
    };

    private IfStatement ParseIf(TemplateToken keyword)
    {
        var branches = new List<IfBranch>();
        var condition = ParseExpression();
        while (true)
        {
            Expect(TokenKind.BlockEnd, "'%}'");
            var body = ParseStatements(out var terminator);
            branches.Add(new IfBranch(condition, body));
            var closing = ConsumeTerminator(keyword, terminator, "elif", "else", "endif");
            if (closing == "elif")
            {
                condition = ParseExpression();
                continue;
            }

            IReadOnlyList<Statement> elseBody = [];
            if (closing == "else")
            {
                Expect(TokenKind.BlockEnd, "'%}'");
                elseBody = ParseStatements(out terminator);
                ConsumeTerminator(keyword, terminator, "endif");
            }

            Expect(TokenKind.BlockEnd, "'%}'");
            return new IfStatement(branches, elseBody, keyword.Offset);
        }
    }

    private ForStatement ParseFor(TemplateToken keyword)
    {
        var targets = new List<string> { ExpectName() };
        while (Current.IsOperator(","))
        {
            Advance();
            targets.Add(ExpectName());
        }

        ExpectKeyword("in");
        // The iterable stops before an inline 'if' filter, so it is parsed without conditional expressions.
        var iterable = ParseOr();
        Expression? filter = null;
        if (Current.IsName("if"))
        {
            Advance();
            filter = ParseExpression();
        }

        Expect(TokenKind.BlockEnd, "'%}'");
        var body = ParseStatements(out var terminator);
        IReadOnlyList<Statement> elseBody = [];
        if (ConsumeTerminator(keyword, terminator, "else", "endfor") == "else")
        {
            Expect(TokenKind.BlockEnd, "'%}'");
            elseBody = ParseStatements(out terminator);
            ConsumeTerminator(keyword, terminator, "endfor");
        }

        Expect(TokenKind.BlockEnd, "'%}'");
        return new ForStatement(targets, iterable, filter, body, elseBody, keyword.Offset);
    }

    private SetStatement ParseSet(TemplateToken keyword)
    {
        var name = ExpectName();
        string? attribute = null;
        if (Current.IsOperator("."))
        {
            Advance();
            attribute = ExpectName();
        }

        if (!Current.IsOperator("="))
        {
            throw Error(Current, "expected '=' in set (block set is not supported)");
        }

        Advance();
        var value = ParseExpression();
        Expect(TokenKind.BlockEnd, "'%}'");
        return new SetStatement(name, attribute, value, keyword.Offset);
    }

    /// <summary>Checks that the body ended on one of the allowed tags and moves past '{% keyword'.</summary>
    private string ConsumeTerminator(TemplateToken opener, string? terminator, params string[] allowed)
    {
        if (terminator is null)
        {
            throw Error(opener, $"'{{% {opener.Value} %}}' is not closed (expected {string.Join(" or ", allowed)})");
        }

        if (Array.IndexOf(allowed, terminator) < 0)
        {
            throw Error(Peek(1), $"unexpected '{terminator}' inside '{opener.Value}'");
        }

        Advance();
        Advance();
        return terminator;
    }

    private void Expect(TokenKind kind, string what)
    {
        if (Current.Kind != kind)
        {
            throw Error(Current, $"expected {what}, found {Describe(Current)}");
        }

        Advance();
    }

    private void ExpectOperator(string symbol)
    {
        if (!Current.IsOperator(symbol))
        {
            throw Error(Current, $"expected '{symbol}', found {Describe(Current)}");
        }

        Advance();
    }

    private void ExpectKeyword(string name)
    {
        if (!Current.IsName(name))
        {
            throw Error(Current, $"expected '{name}', found {Describe(Current)}");
        }

        Advance();
    }

    private string ExpectName()
    {
        if (Current.Kind != TokenKind.Name)
        {
            throw Error(Current, $"expected a name, found {Describe(Current)}");
        }

        return Advance().Value;
    }

    private static string Describe(TemplateToken token) => token.Kind switch
    {
        TokenKind.End => "the end of the template",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.BlockEnd => "'%}'",
        TokenKind.Text => "text",
        _ => $"'{token.Value}'",
    };

    private Expression ParseExpression()
    {
        var expression = ParseOr();
        while (Current.IsName("if"))
        {
            var at = Advance();
            var condition = ParseOr();
            Expression? otherwise = null;
            if (Current.IsName("else"))
            {
                Advance();
                otherwise = ParseExpression();
            }

            expression = new ConditionalExpression(condition, expression, otherwise, at.Offset);
        }

        return expression;
    }

    private Expression ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var at = Advance();
            left = new BinaryExpression("or", left, ParseAnd(), at.Offset);
        }

        return left;
    }

    private Expression ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var at = Advance();
            left = new BinaryExpression("and", left, ParseNot(), at.Offset);
        }

        return left;
    }

    private Expression ParseNot()
    {
        if (Current.IsName("not"))
        {
            var at = Advance();
            return new UnaryExpression("not", ParseNot(), at.Offset);
        }

        return ParseCompare();
    }

    private Expression ParseCompare()
    {
        var left = ParseBinary(0);
        while (true)
        {
            var at = Current;
            string op;
            if (at.Kind == TokenKind.Operator && s_comparisons.Contains(at.Value))
            {
                op = at.Value;
                Advance();
            }
            else if (at.IsName("in"))
            {
                op = "in";
                Advance();
            }
            else if (at.IsName("not") && Peek(1).IsName("in"))
            {
                op = "not in";
                Advance();
                Advance();
            }
            else
            {
                return left;
            }

            left = new BinaryExpression(op, left, ParseBinary(0), at.Offset);
        }
    }

    // Jinja2's arithmetic levels, loosest first: + -, then ~, then * / // %, then **.
    private static readonly string[][] s_binaryLevels = [["+", "-"], ["~"], ["*", "/", "//", "%"], ["**"]];

    private Expression ParseBinary(int level)
    {
        if (level == s_binaryLevels.Length)
        {
            return ParseUnary();
        }

        var left = ParseBinary(level + 1);
        while (Current.Kind == TokenKind.Operator && Array.IndexOf(s_binaryLevels[level], Current.Value) >= 0)
        {
            var at = Advance();
            left = new BinaryExpression(at.Value, left, ParseBinary(level + 1), at.Offset);
        }

        return left;
    }

    private Expression ParseUnary() => ParseFiltersAndTests(ParseSigned());

    private Expression ParseSigned()
    {
        if (Current.IsOperator("-") || Current.IsOperator("+"))
        {
            var at = Advance();
            return new UnaryExpression(at.Value, ParseSigned(), at.Offset);
        }

        return ParsePostfix(ParsePrimary());
    }

    private Expression ParseFiltersAndTests(Expression target)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                var at = Advance();
                var name = ExpectName();
                var arguments = Current.IsOperator("(") ? ParseArguments() : Arguments.None;
                target = new FilterExpression(target, name, arguments, at.Offset);
            }
            else if (Current.IsName("is"))
            {
                var at = Advance();
                var negated = false;
                if (Current.IsName("not"))
                {
                    Advance();
                    negated = true;
                }

                var name = ExpectName();
                var arguments = Current.IsOperator("(") ? ParseArguments() : Arguments.None;
                target = new TestExpression(target, name, arguments, negated, at.Offset);
            }
            else
            {
                return target;
            }
        }
    }

    private Expression ParsePostfix(Expression target)
    {
        while (true)
        {
            var at = Current;
            if (at.IsOperator("."))
            {
                Advance();
                target = new AttributeExpression(target, ExpectName(), at.Offset);
            }
            else if (at.IsOperator("["))
            {
                Advance();
                target = ParseSubscript(target, at);
            }
            else if (at.IsOperator("("))
            {
                target = new CallExpression(target, ParseArguments(), target.Offset);
            }
            else
            {
                return target;
            }
        }
    }

    private Expression ParseSubscript(Expression target, TemplateToken at)
    {
        Expression? start = Current.IsOperator(":") ? null : ParseExpression();
        if (Current.IsOperator("]"))
        {
            Advance();
            return new IndexExpression(target, start!, at.Offset);
        }

        ExpectOperator(":");
        Expression? stop = Current.IsOperator(":") || Current.IsOperator("]") ? null : ParseExpression();
        Expression? step = null;
        if (Current.IsOperator(":"))
        {
            Advance();
            step = Current.IsOperator("]") ? null : ParseExpression();
        }

        ExpectOperator("]");
        return new SliceExpression(target, start, stop, step, at.Offset);
    }

    private Arguments ParseArguments()
    {
        ExpectOperator("(");
        var positional = new List<Expression>();
        var named = new List<(string, Expression)>();
        while (!Current.IsOperator(")"))
        {
            if (Current.Kind == TokenKind.Name && Peek(1).IsOperator("="))
            {
                var name = Advance().Value;
                Advance();
                named.Add((name, ParseExpression()));
            }
            else if (named.Count > 0)
            {
                throw Error(Current, "positional argument after a keyword argument");
            }
            else
            {
                positional.Add(ParseExpression());
            }

            if (!Current.IsOperator(","))
            {
                break;
            }

            Advance();
        }

        ExpectOperator(")");
        return new Arguments(positional, named);
    }

    private Expression ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Name:
                Advance();
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpression(true, token.Offset),
                    "false" or "False" => new LiteralExpression(false, token.Offset),
                    "none" or "None" => new LiteralExpression(null, token.Offset),
                    _ => new NameExpression(token.Value, token.Offset),
                };
            case TokenKind.String:
                // Adjacent string literals concatenate, as in Python.
                var text = Advance().Value;
                while (Current.Kind == TokenKind.String)
                {
                    text += Advance().Value;
                }

                return new LiteralExpression(text, token.Offset);
            case TokenKind.Integer:
                Advance();
                return new LiteralExpression(long.Parse(token.Value, CultureInfo.InvariantCulture), token.Offset);
            case TokenKind.Float:
                Advance();
                return new LiteralExpression(double.Parse(token.Value, CultureInfo.InvariantCulture), token.Offset);
            case TokenKind.Operator when token.Value == "(":
                return ParseParenthesized();
            case TokenKind.Operator when token.Value == "[":
                Advance();
                return new ListExpression(ParseItems("]"), token.Offset);
            case TokenKind.Operator when token.Value == "{":
                return ParseDict();
            default:
                throw Error(token, $"expected an expression, found {Describe(token)}");
        }
    }

    private Expression ParseParenthesized()
    {
        var open = Advance();
        var first = ParseExpression();
        if (Current.IsOperator(")"))
        {
            Advance();
            return first;
        }

        // A tuple: evaluated as a list, which is all chat templates need of tuples.
        ExpectOperator(",");
        var items = new List<Expression> { first };
        items.AddRange(ParseItems(")"));
        return new ListExpression(items, open.Offset);
    }

    private List<Expression> ParseItems(string close)
    {
        var items = new List<Expression>();
        while (!Current.IsOperator(close))
        {
            items.Add(ParseExpression());
            if (!Current.IsOperator(","))
            {
                break;
            }

            Advance();
        }

        ExpectOperator(close);
        return items;
    }

    private DictExpression ParseDict()
    {
        var open = Advance();
        var items = new List<(Expression, Expression)>();
        while (!Current.IsOperator("}"))
        {
            var key = ParseExpression();
            ExpectOperator(":");
            items.Add((key, ParseExpression()));
            if (!Current.IsOperator(","))
            {
                break;
            }

            Advance();
        }

        ExpectOperator("}");
        return new DictExpression(items, open.Offset);
    }
}
