using System.Text.RegularExpressions;

namespace LlmQueue.Gpu.Compilation;

/// <summary>ptxas's report for one kernel (from NVRTC's log with --ptxas-options=-v).</summary>
public sealed partial record KernelResources(string Name, int Registers, int StaticSharedBytes, int StackFrameBytes, int SpillStoreBytes, int SpillLoadBytes)
{
    /// <summary>Per-kernel reports of a log, keyed by entry name; kernels ptxas did not report are absent.</summary>
    public static IReadOnlyDictionary<string, KernelResources> Parse(string log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var result = new Dictionary<string, KernelResources>(StringComparer.Ordinal);
        string? name = null;
        int stack = 0;
        int spillStores = 0;
        int spillLoads = 0;
        foreach (var line in log.Split('\n'))
        {
            if (EntryLine().Match(line) is { Success: true } entry)
            {
                name = entry.Groups["name"].Value;
                (stack, spillStores, spillLoads) = (0, 0, 0);
            }
            else if (name is not null && FrameLine().Match(line) is { Success: true } frame)
            {
                stack = int.Parse(frame.Groups["stack"].Value, System.Globalization.CultureInfo.InvariantCulture);
                spillStores = int.Parse(frame.Groups["stores"].Value, System.Globalization.CultureInfo.InvariantCulture);
                spillLoads = int.Parse(frame.Groups["loads"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (name is not null && UsedLine().Match(line) is { Success: true } used)
            {
                int shared = SharedPart().Match(line) is { Success: true } s ? int.Parse(s.Groups["bytes"].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
                result[name] = new KernelResources(name, int.Parse(used.Groups["registers"].Value, System.Globalization.CultureInfo.InvariantCulture), shared, stack, spillStores, spillLoads);
                name = null;
            }
        }

        return result;
    }

    [GeneratedRegex(@"Compiling entry function '(?<name>[^']+)'")]
    private static partial Regex EntryLine();

    [GeneratedRegex(@"(?<stack>\d+) bytes stack frame, (?<stores>\d+) bytes spill stores, (?<loads>\d+) bytes spill loads")]
    private static partial Regex FrameLine();

    [GeneratedRegex(@"Used (?<registers>\d+) registers")]
    private static partial Regex UsedLine();

    [GeneratedRegex(@"(?<bytes>\d+) bytes smem")]
    private static partial Regex SharedPart();
}
