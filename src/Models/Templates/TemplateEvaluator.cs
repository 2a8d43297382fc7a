using System.Text;

namespace LlmQueue.Models.Templates;

/// <summary>
/// Walks a parsed template with Jinja2 semantics: a for-loop body gets its own scope (so plain 'set' inside a
/// loop does not leak out, which is why templates use namespace()), 'if' does not.
/// </summary>
internal sealed class TemplateEvaluator
{
    private readonly TemplateSource _source;
    private readonly StringBuilder _output = new();
    private readonly List<Dictionary<string, object?>> _scopes = [];

    private TemplateEvaluator(TemplateSource source, IReadOnlyDictionary<string, object?> variables)
    {
        _source = source;
        _scopes.Add(new Dictionary<string, object?>(TemplateBuiltins.Globals));
        _scopes.Add(new Dictionary<string, object?>(variables));
    }

    public static string Render(TemplateSource source, IReadOnlyList<Statement> template, IReadOnlyDictionary<string, object?> variables)
    {
        var evaluator = new TemplateEvaluator(source, variables);
        evaluator.Execute(template);
        return evaluator._output.ToString();
    }

    private void Execute(IReadOnlyList<Statement> statements)
    {
        foreach (var statement in statements)
        {
            switch (statement)
            {
                case TextStatement text:
                    _output.Append(text.Text);
                    break;
                case OutputStatement output:
                    _output.Append(TemplateValues.ToText(Evaluate(output.Value)));
                    break;
                case IfStatement conditional:
                    ExecuteIf(conditional);
                    break;
                case ForStatement loop:
                    ExecuteFor(loop);
                    break;
                case SetStatement set:
                    ExecuteSet(set);
                    break;
                default:
                    throw TemplateException.At(_source, statement.Offset, $"unsupported statement {statement.GetType().Name}");
            }
        }
    }

    private void ExecuteIf(IfStatement conditional)
    {
        foreach (var branch in conditional.Branches)
        {
            if (TemplateValues.IsTruthy(Evaluate(branch.Condition)))
            {
                Execute(branch.Body);
                return;
            }
        }

        Execute(conditional.Else);
    }

    private void ExecuteFor(ForStatement loop)
    {
        var source = Guard(loop.Offset, () => TemplateBuiltins.AsList(Evaluate(loop.Iterable), "for"));
        var items = loop.Filter is null ? source : FilterItems(loop, source);
        if (items.Count == 0)
        {
            Execute(loop.Else);
            return;
        }

        var scope = new Dictionary<string, object?>();
        _scopes.Add(scope);
        try
        {
            for (var i = 0; i < items.Count; i++)
            {
                scope.Clear();
                BindTargets(loop, scope, items[i]);
                scope["loop"] = LoopVariable(i, items);
                Execute(loop.Body);
            }
        }
        finally
        {
            _scopes.RemoveAt(_scopes.Count - 1);
        }
    }

    private List<object?> FilterItems(ForStatement loop, IReadOnlyList<object?> source)
    {
        var scope = new Dictionary<string, object?>();
        _scopes.Add(scope);
        try
        {
            var kept = new List<object?>();
            foreach (var item in source)
            {
                BindTargets(loop, scope, item);
                if (TemplateValues.IsTruthy(Evaluate(loop.Filter!)))
                {
                    kept.Add(item);
                }
            }

            return kept;
        }
        finally
        {
            _scopes.RemoveAt(_scopes.Count - 1);
        }
    }

    private void BindTargets(ForStatement loop, Dictionary<string, object?> scope, object? item)
    {
        if (loop.Targets.Count == 1)
        {
            scope[loop.Targets[0]] = item;
            return;
        }

        if (item is not List<object?> parts || parts.Count != loop.Targets.Count)
        {
            throw TemplateException.At(_source, loop.Offset, $"cannot unpack a {TemplateValues.TypeName(item)} into {loop.Targets.Count} loop variables");
        }

        for (var t = 0; t < parts.Count; t++)
        {
            scope[loop.Targets[t]] = parts[t];
        }
    }

    private static Dictionary<string, object?> LoopVariable(int index, IReadOnlyList<object?> items) => new()
    {
        ["index0"] = (long)index,
        ["index"] = (long)index + 1,
        ["revindex0"] = (long)(items.Count - index - 1),
        ["revindex"] = (long)(items.Count - index),
        ["first"] = index == 0,
        ["last"] = index == items.Count - 1,
        ["length"] = (long)items.Count,
        ["previtem"] = index > 0 ? items[index - 1] : Undefined.Instance,
        ["nextitem"] = index < items.Count - 1 ? items[index + 1] : Undefined.Instance,
    };

    private void ExecuteSet(SetStatement set)
    {
        var value = Evaluate(set.Value);
        if (set.Attribute is null)
        {
            _scopes[^1][set.Name] = value;
            return;
        }

        if (Lookup(set.Name) is not TemplateNamespace ns)
        {
            throw TemplateException.At(_source, set.Offset, $"'{set.Name}' is not a namespace, cannot set '{set.Attribute}' on it");
        }

        ns[set.Attribute] = value;
    }

    private object? Lookup(string name)
    {
        for (var i = _scopes.Count - 1; i >= 0; i--)
        {
            if (_scopes[i].TryGetValue(name, out var value))
            {
                return value;
            }
        }

        return Undefined.Instance;
    }

    private object? Evaluate(Expression expression) => expression switch
    {
        LiteralExpression literal => literal.Value,
        NameExpression name => Lookup(name.Name),
        ListExpression list => list.Items.Select(Evaluate).ToList(),
        DictExpression dict => EvaluateDict(dict),
        AttributeExpression attribute => GetAttribute(Evaluate(attribute.Target), attribute.Name, attribute.Offset),
        IndexExpression index => GetItem(Evaluate(index.Target), Evaluate(index.Index), index.Offset),
        SliceExpression slice => Guard(slice.Offset, () => TemplateSlicing.Slice(
            Evaluate(slice.Target), EvaluateOptional(slice.Start), EvaluateOptional(slice.Stop), EvaluateOptional(slice.Step))),
        CallExpression call => EvaluateCall(call),
        FilterExpression filter => EvaluateFilter(filter),
        TestExpression test => EvaluateTest(test),
        UnaryExpression unary => EvaluateUnary(unary),
        BinaryExpression binary => EvaluateBinary(binary),
        ConditionalExpression conditional => TemplateValues.IsTruthy(Evaluate(conditional.Condition))
            ? Evaluate(conditional.Then)
            : conditional.Else is null ? Undefined.Instance : Evaluate(conditional.Else),
        _ => throw TemplateException.At(_source, expression.Offset, $"unsupported expression {expression.GetType().Name}"),
    };

    private object? EvaluateOptional(Expression? expression) => expression is null ? null : Evaluate(expression);

    private Dictionary<string, object?> EvaluateDict(DictExpression dict)
    {
        var map = new Dictionary<string, object?>();
        foreach (var (key, value) in dict.Items)
        {
            map[Evaluate(key) as string ?? throw TemplateException.At(_source, key.Offset, "mapping keys must be strings")] = Evaluate(value);
        }

        return map;
    }

    private object? GetAttribute(object? target, string name, int offset) => target switch
    {
        Dictionary<string, object?> map when map.TryGetValue(name, out var value) => value,
        Undefined => throw TemplateException.At(_source, offset, $"cannot read '{name}' of an undefined value"),
        null => throw TemplateException.At(_source, offset, $"cannot read '{name}' of None"),
        _ => TemplateBuiltins.Method(target, name) ?? (object?)Undefined.Instance,
    };

    private object? GetItem(object? target, object? index, int offset) => (target, index) switch
    {
        (Dictionary<string, object?> map, string key) => map.TryGetValue(key, out var value) ? value : Undefined.Instance,
        (List<object?> list, long i) => i >= -list.Count && i < list.Count ? list[(int)(i < 0 ? i + list.Count : i)] : Undefined.Instance,
        (string s, long i) => TemplateBuiltins.AsList(s, "index") is var chars && i >= -chars.Count && i < chars.Count
            ? chars[(int)(i < 0 ? i + chars.Count : i)]
            : Undefined.Instance,
        (Undefined, _) => throw TemplateException.At(_source, offset, "cannot index an undefined value"),
        _ => GetAttributeByIndex(target, index, offset),
    };

    private object? GetAttributeByIndex(object? target, object? index, int offset) => index is string name
        ? GetAttribute(target, name, offset)
        : throw TemplateException.At(_source, offset, $"cannot index a {TemplateValues.TypeName(target)} with a {TemplateValues.TypeName(index)}");

    private object? EvaluateCall(CallExpression call)
    {
        var target = Evaluate(call.Target);
        if (target is not TemplateFunction function)
        {
            throw TemplateException.At(_source, call.Offset, $"{Describe(call.Target)} is not callable");
        }

        var (positional, named) = EvaluateArguments(call.Arguments);
        return Guard(call.Offset, () => function(positional, named));
    }

    private object? EvaluateFilter(FilterExpression filter)
    {
        var value = Evaluate(filter.Target);
        var (positional, named) = EvaluateArguments(filter.Arguments);
        return Guard(filter.Offset, () => TemplateBuiltins.ApplyFilter(filter.Name, value, positional, named));
    }

    private bool EvaluateTest(TestExpression test)
    {
        var value = Evaluate(test.Target);
        var (positional, _) = EvaluateArguments(test.Arguments);
        return Guard(test.Offset, () => TemplateBuiltins.ApplyTest(test.Name, value, positional)) != test.Negated;
    }

    private (List<object?> Positional, Dictionary<string, object?> Named) EvaluateArguments(Arguments arguments) =>
        (arguments.Positional.Select(Evaluate).ToList(), arguments.Named.ToDictionary(a => a.Name, a => Evaluate(a.Value)));

    private object? EvaluateUnary(UnaryExpression unary)
    {
        var operand = Evaluate(unary.Operand);
        return (unary.Operator, operand) switch
        {
            ("not", _) => !TemplateValues.IsTruthy(operand),
            ("-", long l) => -l,
            ("-", double d) => -d,
            ("+", long or double) => operand,
            _ => throw TemplateException.At(_source, unary.Offset, $"bad operand {TemplateValues.TypeName(operand)} for unary '{unary.Operator}'"),
        };
    }

    private object? EvaluateBinary(BinaryExpression binary)
    {
        var left = Evaluate(binary.Left);
        switch (binary.Operator)
        {
            case "and":
                return TemplateValues.IsTruthy(left) ? Evaluate(binary.Right) : left;
            case "or":
                return TemplateValues.IsTruthy(left) ? left : Evaluate(binary.Right);
        }

        var right = Evaluate(binary.Right);
        return Guard(binary.Offset, () => TemplateOperators.Apply(binary.Operator, left, right));
    }

    private static string Describe(Expression expression) => expression switch
    {
        NameExpression name => $"'{name.Name}'",
        AttributeExpression attribute => $"'{attribute.Name}'",
        _ => "the expression",
    };

    /// <summary>Runs a builtin, giving its failures (and raise_exception) the template position.</summary>
    private T Guard<T>(int offset, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (TemplateRaisedException ex)
        {
            throw TemplateException.At(_source, offset, "raise_exception: " + ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            throw TemplateException.At(_source, offset, ex.Message);
        }
    }
}
