using LlmQueue.Bench;

// Usage: bench decode|queue|callbacks|kvpool|prefix|remote|tokenizer|sampling [--smoke] [--rabbitmq host:port | --servicebus] [--redis host:port] [--model name],
// or bench tokenizer-ab --a path/LlmQueue.Models.dll --b path/LlmQueue.Models.dll [--smoke] (two builds compared in one process).
// --smoke runs a tiny version (for CI), not a measurement.
var smoke = args.Contains("--smoke");
var rabbitMq = Option("--rabbitmq");
var redis = Option("--redis");
var model = Option("--model");
var buildA = Option("--a");
var buildB = Option("--b");
string?[] values = [rabbitMq, redis, model, buildA, buildB];
var which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && !values.Contains(a)) ?? "decode";
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
    case "remote" when redis is null:
        Console.Error.WriteLine("bench remote needs --redis host:port (a redis-server it may fill)");
        return 2;
    case "remote":
        await RemotePrefixBenchmark.RunAsync(smoke, redis, model ?? (smoke ? "tiny" : "small-100m"), Console.Out);
        return 0;
    case "sampling":
        SamplingBenchmark.Run(smoke, Console.Out);
        return 0;
    case "tokenizer":
        TokenizerBenchmark.Run(smoke, Console.Out);
        return 0;
    case "tokenizer-ab" when buildA is null || buildB is null:
        Console.Error.WriteLine("bench tokenizer-ab needs --a and --b, each a path to a build's LlmQueue.Models.dll");
        return 2;
    case "tokenizer-ab":
        TokenizerAbBenchmark.Run(buildA, buildB, smoke, Console.Out);
        return 0;
    case "queue":
        await QueueBenchmark.RunAsync(smoke, rabbitMq, args.Contains("--servicebus"), Console.Out);
        return 0;
    case "callbacks":
        await CallbackBenchmark.RunAsync(smoke, Console.Out);
        return 0;
    default:
        Console.Error.WriteLine($"unknown benchmark '{which}'; expected decode, queue, callbacks, kvpool, prefix, remote, tokenizer, tokenizer-ab or sampling");
        return 2;
}

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
