using System.Globalization;
using System.Text;

namespace LlmQueue.Models.Templates;

/// <summary>
/// Splits a Jinja template into text and tag tokens with the whitespace rules transformers renders chat
/// templates with: trim_blocks, lstrip_blocks, no trailing newline kept, and the '-' / '+' tag modifiers.
/// </summary>
internal sealed class TemplateLexer
{
    private static readonly string[] s_operators =
    [
        "**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=",
        "(", ")", "[", "]", "{", "}", ",", ".", ":", "|",
    ];

    private readonly TemplateSource _source;
    private readonly string _text;
    private readonly List<TemplateToken> _tokens = [];
    private int _pos;

    private TemplateLexer(TemplateSource source)
    {
        _source = source;
        _text = source.Text.EndsWith('\n') ? source.Text[..^1] : source.Text;
    }

    public static List<TemplateToken> Tokenize(TemplateSource source)
    {
        var lexer = new TemplateLexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    private enum LeadingTrim
    {
        None,
        FirstNewline,
        AllWhitespace,
    }

    private void Run()
    {
        var leading = LeadingTrim.None;
        while (_pos < _text.Length)
        {
            var tag = FindTagStart(_pos);
            var textEnd = tag < 0 ? _text.Length : tag;
            var modifier = tag >= 0 && tag + 2 < _text.Length ? _text[tag + 2] : '\0';
            var isBlockOrComment = tag >= 0 && _text[tag + 1] != '{';
            EmitText(_pos, textEnd, leading, stripTrailing: modifier == '-', lstrip: isBlockOrComment && modifier != '+');
            if (tag < 0)
            {
                break;
            }

            var bodyStart = tag + (modifier is '-' or '+' ? 3 : 2);
            leading = _text[tag + 1] switch
            {
                '#' => SkipComment(tag, bodyStart),
                '{' => LexTag(tag, bodyStart, TokenKind.VariableStart, TokenKind.VariableEnd, '}'),
                _ => LexTag(tag, bodyStart, TokenKind.BlockStart, TokenKind.BlockEnd, '%'),
            };
        }

        _tokens.Add(new TemplateToken(TokenKind.End, string.Empty, _text.Length));
    }

    private int FindTagStart(int from)
    {
        for (var i = _text.IndexOf('{', from); i >= 0 && i + 1 < _text.Length; i = _text.IndexOf('{', i + 1))
        {
            if (_text[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    private void EmitText(int start, int end, LeadingTrim leading, bool stripTrailing, bool lstrip)
    {
        if (leading == LeadingTrim.AllWhitespace)
        {
            while (start < end && char.IsWhiteSpace(_text[start]))
            {
                start++;
            }
        }
        else if (leading == LeadingTrim.FirstNewline)
        {
            start += _text.AsSpan(start, end - start) switch
            {
                ['\r', '\n', ..] => 2,
                ['\n', ..] => 1,
                _ => 0,
            };
        }

        if (stripTrailing)
        {
            while (end > start && char.IsWhiteSpace(_text[end - 1]))
            {
                end--;
            }
        }
        else if (lstrip)
        {
            // lstrip_blocks: spaces and tabs between a line start and a block tag go.
            var lineStart = end;
            while (lineStart > 0 && _text[lineStart - 1] is ' ' or '\t')
            {
                lineStart--;
            }

            if (lineStart == 0 || _text[lineStart - 1] == '\n')
            {
                end = Math.Max(start, lineStart);
            }
        }

        if (end > start)
        {
            _tokens.Add(new TemplateToken(TokenKind.Text, _text[start..end], start));
        }
    }

    private LeadingTrim SkipComment(int tag, int bodyStart)
    {
        var close = _text.IndexOf("#}", bodyStart, StringComparison.Ordinal);
        if (close < 0)
        {
            throw TemplateException.At(_source, tag, "comment is not closed with '#}'");
        }

        _pos = close + 2;
        return ClosingTrim(close);
    }

    /// <summary>What the text after a tag closing at <paramref name="close"/> loses: everything ('-'),
    /// nothing for '+' or an expression tag, else one newline (trim_blocks).</summary>
    private LeadingTrim ClosingTrim(int close, bool isBlockOrComment = true) =>
        close > 0 && _text[close - 1] == '-' ? LeadingTrim.AllWhitespace
        : close > 0 && _text[close - 1] == '+' ? LeadingTrim.None
        : isBlockOrComment ? LeadingTrim.FirstNewline
        : LeadingTrim.None;

    private LeadingTrim LexTag(int tag, int bodyStart, TokenKind startKind, TokenKind endKind, char closeChar)
    {
        _tokens.Add(new TemplateToken(startKind, string.Empty, tag));
        _pos = bodyStart;
        var depth = 0;
        while (true)
        {
            SkipWhitespace();
            if (_pos >= _text.Length)
            {
                throw TemplateException.At(_source, tag, $"tag is not closed with '{closeChar}}}'");
            }

            var closeAt = MatchClose(closeChar, depth);
            if (closeAt >= 0)
            {
                _tokens.Add(new TemplateToken(endKind, string.Empty, _pos));
                _pos = closeAt + 2;
                return ClosingTrim(closeAt, isBlockOrComment: endKind == TokenKind.BlockEnd);
            }

            var token = LexInner();
            depth += token.Kind != TokenKind.Operator ? 0 : token.Value switch
            {
                "(" or "[" or "{" => 1,
                ")" or "]" or "}" => -1,
                _ => 0,
            };
            _tokens.Add(token);
        }
    }

    /// <summary>The index of the closing "%}" / "}}" at the cursor, including a '-' or '+' before it, or -1.</summary>
    private int MatchClose(char closeChar, int depth)
    {
        if (depth > 0)
        {
            return -1;
        }

        var at = _text[_pos] is '-' or '+' ? _pos + 1 : _pos;
        return at + 1 < _text.Length && _text[at] == closeChar && _text[at + 1] == '}' ? at : -1;
    }

    private void SkipWhitespace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }
    }

    private TemplateToken LexInner()
    {
        var start = _pos;
        var c = _text[_pos];
        if (char.IsLetter(c) || c == '_')
        {
            while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
            {
                _pos++;
            }

            return new TemplateToken(TokenKind.Name, _text[start.._pos], start);
        }

        if (char.IsAsciiDigit(c))
        {
            return LexNumber(start);
        }

        if (c is '\'' or '"')
        {
            return new TemplateToken(TokenKind.String, LexString(c), start);
        }

        foreach (var op in s_operators)
        {
            if (string.CompareOrdinal(_text, _pos, op, 0, op.Length) == 0)
            {
                _pos += op.Length;
                return new TemplateToken(TokenKind.Operator, op, start);
            }
        }

        throw TemplateException.At(_source, start, $"unexpected character '{c}'");
    }

    private TemplateToken LexNumber(int start)
    {
        while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
        {
            _pos++;
        }

        var isFloat = _pos + 1 < _text.Length && _text[_pos] == '.' && char.IsAsciiDigit(_text[_pos + 1]);
        if (isFloat)
        {
            _pos++;
            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
            {
                _pos++;
            }
        }

        return new TemplateToken(isFloat ? TokenKind.Float : TokenKind.Integer, _text[start.._pos], start);
    }

    private string LexString(char quote)
    {
        var start = _pos++;
        var value = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length)
            {
                throw TemplateException.At(_source, start, "string literal is not closed");
            }

            var c = _text[_pos++];
            if (c == quote)
            {
                return value.ToString();
            }

            if (c != '\\')
            {
                value.Append(c);
                continue;
            }

            if (_pos >= _text.Length)
            {
                throw TemplateException.At(_source, start, "string literal ends in a backslash");
            }

            AppendEscape(value, _text[_pos++], _pos - 2);
        }
    }

    private void AppendEscape(StringBuilder value, char escaped, int offset)
    {
        switch (escaped)
        {
            case 'n': value.Append('\n'); break;
            case 't': value.Append('\t'); break;
            case 'r': value.Append('\r'); break;
            case 'b': value.Append('\b'); break;
            case 'f': value.Append('\f'); break;
            case 'v': value.Append('\v'); break;
            case '0': value.Append('\0'); break;
            case '\\' or '\'' or '"': value.Append(escaped); break;
            case 'x': value.Append(ReadHex(2, offset)); break;
            case 'u': value.Append(ReadHex(4, offset)); break;
            default:
                // Python keeps unknown escapes verbatim.
                value.Append('\\').Append(escaped);
                break;
        }
    }

    private char ReadHex(int digits, int offset)
    {
        if (_pos + digits > _text.Length
            || !int.TryParse(_text.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
        {
            throw TemplateException.At(_source, offset, "invalid hexadecimal escape");
        }

        _pos += digits;
        return (char)code;
    }
}
