namespace LlmQueue.Models.Templates;

// The template's syntax tree. Offsets point into the template text for error messages.

internal abstract record Statement(int Offset);

internal sealed record TextStatement(string Text, int Offset) : Statement(Offset);

internal sealed record OutputStatement(Expression Value, int Offset) : Statement(Offset);

internal sealed record IfBranch(Expression Condition, IReadOnlyList<Statement> Body);

internal sealed record IfStatement(IReadOnlyList<IfBranch> Branches, IReadOnlyList<Statement> Else, int Offset) : Statement(Offset);

internal sealed record ForStatement(
    IReadOnlyList<string> Targets,
    Expression Iterable,
    Expression? Filter,
    IReadOnlyList<Statement> Body,
    IReadOnlyList<Statement> Else,
    int Offset) : Statement(Offset);

/// <summary>{% set name = value %} or, with <see cref="Attribute"/>, {% set namespace.attribute = value %}.</summary>
internal sealed record SetStatement(string Name, string? Attribute, Expression Value, int Offset) : Statement(Offset);

internal abstract record Expression(int Offset);

internal sealed record LiteralExpression(object? Value, int Offset) : Expression(Offset);

internal sealed record NameExpression(string Name, int Offset) : Expression(Offset);

internal sealed record ListExpression(IReadOnlyList<Expression> Items, int Offset) : Expression(Offset);

internal sealed record DictExpression(IReadOnlyList<(Expression Key, Expression Value)> Items, int Offset) : Expression(Offset);

internal sealed record AttributeExpression(Expression Target, string Name, int Offset) : Expression(Offset);

internal sealed record IndexExpression(Expression Target, Expression Index, int Offset) : Expression(Offset);

internal sealed record SliceExpression(Expression Target, Expression? Start, Expression? Stop, Expression? Step, int Offset) : Expression(Offset);

internal sealed record Arguments(IReadOnlyList<Expression> Positional, IReadOnlyList<(string Name, Expression Value)> Named)
{
    public static readonly Arguments None = new([], []);
}

internal sealed record CallExpression(Expression Target, Arguments Arguments, int Offset) : Expression(Offset);

internal sealed record FilterExpression(Expression Target, string Name, Arguments Arguments, int Offset) : Expression(Offset);

internal sealed record TestExpression(Expression Target, string Name, Arguments Arguments, bool Negated, int Offset) : Expression(Offset);

internal sealed record UnaryExpression(string Operator, Expression Operand, int Offset) : Expression(Offset);

internal sealed record BinaryExpression(string Operator, Expression Left, Expression Right, int Offset) : Expression(Offset);

internal sealed record ConditionalExpression(Expression Condition, Expression Then, Expression? Else, int Offset) : Expression(Offset);
