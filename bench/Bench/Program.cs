using LlmQueue.Bench;

// Usage: bench decode|queue|kvpool|prefix|tokenizer [--smoke] [--rabbitmq host:port]. --smoke runs a tiny version (for CI), not a measurement.
var smoke = args.Contains("--smoke");
var rabbitIndex = Array.IndexOf(args, "--rabbitmq");
var rabbitMq = rabbitIndex >= 0 && rabbitIndex + 1 < args.Length ? args[rabbitIndex + 1] : null;
var which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && a != rabbitMq) ?? "decode";
switch (which)
{
    case "decode":
        DecodeBenchmark.Run(smoke, Console.Out);
        return 0;
    case "kvpool":
        KvPoolBenchmark.Run(smoke, Console.Out);
        return 0;
    case "prefix":
        await PrefixCacheBenchmark.RunAsync(smoke, Console.Out);
        return 0;
    case "tokenizer":
        TokenizerBenchmark.Run(smoke, Console.Out);
        return 0;
    case "queue":
        await QueueBenchmark.RunAsync(smoke, rabbitMq, Console.Out);
        return 0;
    default:
        Console.Error.WriteLine($"unknown benchmark '{which}'; expected decode, queue, kvpool, prefix or tokenizer");
        return 2;
}
