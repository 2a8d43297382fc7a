using LlmQueue.Bench;

// Usage: bench decode|queue [--smoke]. --smoke runs a tiny version (for CI), not a measurement.
var smoke = args.Contains("--smoke");
var which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "decode";
switch (which)
{
    case "decode":
        DecodeBenchmark.Run(smoke, Console.Out);
        return 0;
    default:
        Console.Error.WriteLine($"unknown benchmark '{which}'; expected decode or queue");
        return 2;
}
