namespace LlmQueue.Models.Templates;

internal enum TokenKind
{
    Text,
    VariableStart,
    VariableEnd,
    BlockStart,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}

/// <summary>A lexed piece of a template; <see cref="Offset"/> points into the original template text.</summary>
internal readonly record struct TemplateToken(TokenKind Kind, string Value, int Offset)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;

    public bool IsName(string name) => Is(TokenKind.Name, name);

    public bool IsOperator(string symbol) => Is(TokenKind.Operator, symbol);
}
