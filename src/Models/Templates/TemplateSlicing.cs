namespace LlmQueue.Models.Templates;

/// <summary>Python slice semantics (negative indices, clamping, negative steps) for lists and strings.</summary>
internal static class TemplateSlicing
{
    public static object Slice(object? target, object? start, object? stop, object? step)
    {
        var items = target switch
        {
            List<object?> list => list,
            string s => TemplateBuiltins.AsList(s, "slice"),
            _ => throw new InvalidOperationException($"cannot slice a {TemplateValues.TypeName(target)}"),
        };
        var stride = step is null ? 1 : AsIndex(step);
        if (stride == 0)
        {
            throw new InvalidOperationException("slice step cannot be zero");
        }

        var count = items.Count;
        var (from, to) = stride > 0
            ? (Clamp(start, 0, count, 0, count), Clamp(stop, count, count, 0, count))
            : (Clamp(start, count - 1, count, -1, count - 1), Clamp(stop, -1, count, -1, count - 1));
        var selected = new List<object?>();
        for (var i = from; stride > 0 ? i < to : i > to; i += stride)
        {
            selected.Add(items[i]);
        }

        return target is string ? string.Concat(selected.Cast<string>()) : selected;
    }

    /// <summary>A bound resolved like Python: absent gives the default, negatives count from the end, then clamped.</summary>
    private static int Clamp(object? bound, int absent, int count, int low, int high)
    {
        if (bound is null)
        {
            return absent;
        }

        var index = AsIndex(bound);
        if (index < 0)
        {
            index += count;
        }

        return Math.Clamp(index, low, high);
    }

    private static int AsIndex(object? value) => value is long l
        ? (int)Math.Clamp(l, int.MinValue / 2, int.MaxValue / 2)
        : throw new InvalidOperationException($"slice indices must be integers, not {TemplateValues.TypeName(value)}");
}
