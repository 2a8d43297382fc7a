using System.Text.RegularExpressions;

namespace LlmQueue.Gpu.Compilation;

/// <summary>A kernel entry point found in PTX, with its parameters' PTX types in order (".u64", ".u32", ".f32", ...).</summary>
public sealed partial record PtxEntry(string Name, IReadOnlyList<string> ParameterTypes)
{
    /// <summary>Every ".entry name(.param .type name_param_i, ...)" of the module.</summary>
    public static IReadOnlyList<PtxEntry> Parse(string ptx)
    {
        ArgumentNullException.ThrowIfNull(ptx);
        var entries = new List<PtxEntry>();
        foreach (Match entry in EntryPattern().Matches(ptx))
        {
            var types = ParamPattern().Matches(entry.Groups["params"].Value).Select(m => m.Groups["type"].Value).ToArray();
            entries.Add(new PtxEntry(entry.Groups["name"].Value, types));
        }

        return entries;
    }

    [GeneratedRegex(@"\.entry\s+(?<name>[A-Za-z_][A-Za-z0-9_$]*)\s*\((?<params>[^)]*)\)")]
    private static partial Regex EntryPattern();

    [GeneratedRegex(@"\.param\s+(?:\.align\s+\d+\s+)?(?<type>\.[a-z0-9]+)")]
    private static partial Regex ParamPattern();
}
