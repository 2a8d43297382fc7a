using System.Globalization;
using LlmQueue.Client;
using LlmQueue.Contracts;
using LlmQueue.Engine;

namespace LlmQueue.Cli;

/// <summary>llmq demo: an in-process worker, N concurrent streamed prompts, a results table and batch statistics.</summary>
internal static class DemoCommand
{
    private static readonly string[] _prompts =
    [
        "The capital of France is",
        "Write a haiku about message queues.",
        "Explain paged attention in one sentence.",
        "Once upon a time, in a small village,",
        "List three prime numbers:",
        "The quick brown fox",
        "Translate to German: good morning",
        "def fibonacci(n):",
    ];

    private static readonly Lock _consoleLock = new();

    public static async Task<int> RunAsync(DemoSettings settings, CancellationToken cancellationToken)
    {
        PrintIntro(settings);
        await using var session = await ClientSession.StartEmbeddedAsync(settings.Broker, settings.ModelPath, cancellationToken);
        if (session.Engine is { } engine)
        {
            Console.WriteLine($"model: {engine.Model}");
        }

        Console.WriteLine();
        var runs = Enumerable.Range(0, settings.Requests)
            .Select(i => RunOneAsync(session.Client, $"r{i + 1}", PromptFor(i), settings.MaxTokens, cancellationToken));
        var rows = await Task.WhenAll(runs);

        Console.WriteLine();
        PrintTable(rows);
        if (session.Engine is { } stats)
        {
            PrintStats(stats.GetStats());
        }

        return rows.All(r => r.Error is null) ? ExitCodes.Ok : ExitCodes.GenerationFailed;
    }

    private static string PromptFor(int index) =>
        index < _prompts.Length ? _prompts[index] : $"{_prompts[index % _prompts.Length]} (variant {index / _prompts.Length + 1})";

    private static async Task<DemoRow> RunOneAsync(
        InferenceClient client, string label, string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var request = new GenerateRequest { Prompt = prompt, Sampling = new SamplingParams { MaxTokens = maxTokens } };
        var meter = new RequestMeter();
        try
        {
            await foreach (var item in client.StreamEventsAsync(request, cancellationToken))
            {
                switch (item)
                {
                    case ChunkReceived chunk:
                        meter.OnChunk();
                        WriteLine($"{label,-4}| {Visible(chunk.Chunk.TextDelta)}");
                        break;
                    case AttemptRestarted restart:
                        WriteLine($"{label,-4}| [restarted, attempt {restart.Attempt}]");
                        break;
                    case GenerationCompleted done:
                        return DemoRow.Completed(label, prompt, done.Completion, meter);
                }
            }
        }
        catch (GenerationFailedException e)
        {
            WriteLine($"{label,-4}| failed: {e.Code}: {e.WorkerMessage}");
            return DemoRow.Failed(label, prompt, e.Code);
        }

        return DemoRow.Failed(label, prompt, "no completion");
    }

    /// <summary>One line per chunk: control characters would break the layout, so show them escaped.</summary>
    private static string Visible(string text) =>
        text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);

    private static void WriteLine(string line)
    {
        lock (_consoleLock)
        {
            Console.WriteLine(line);
        }
    }

    private static void PrintIntro(DemoSettings settings)
    {
        Console.WriteLine($"llmq demo: {settings.Requests} concurrent streamed requests, up to {settings.MaxTokens} tokens each.");
        Console.WriteLine(settings.Broker.RabbitMq is { } rabbit
            ? $"transport: RabbitMQ at {rabbit.Host}:{rabbit.Port}, queue '{settings.Broker.Queue}' (worker and client in this process)."
            : "transport: in-memory (worker and client in this process). Use --rabbitmq host:port for a real broker.");
        if (string.IsNullOrWhiteSpace(settings.ModelPath))
        {
            Console.WriteLine("model: SYNTHETIC random weights, so the text below is random tokens, by design.");
            Console.WriteLine("       For real text pass --model-path DIR (or set Engine__ModelPath / LLMQ_Engine__ModelPath)");
            Console.WriteLine("       to a Hugging Face folder with config.json, *.safetensors and tokenizer.json.");
        }
        else
        {
            Console.WriteLine($"model: {settings.ModelPath}");
        }
    }

    private static void PrintTable(IReadOnlyList<DemoRow> rows)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"{"req",-4} {"prompt",-34} {"prompt tok",10} {"gen tok",8} {"TTFT ms",9} {"tok/s",8}  finish");
        Console.WriteLine(new string('-', 86));
        foreach (var row in rows)
        {
            Console.WriteLine(string.Create(c,
                $"{row.Label,-4} {Truncate(row.Prompt, 34),-34} {row.PromptTokens,10} {row.CompletionTokens,8} {Format(row.TtftMs),9} {row.TokensPerSecond,8:F1}  {row.Finish}"));
        }
    }

    private static void PrintStats(EngineStats stats)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"engine: {stats.Steps} steps, batch size mean {stats.MeanBatchSize:F2} / max {stats.MaxBatchSize}, " +
            $"{stats.PromptTokens} prompt tokens ({stats.CachedPromptTokens} from prefix cache), {stats.GeneratedTokens} generated"));
    }

    private static string Format(double? ms) => ms is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "-";

    private static string Truncate(string text, int width) => text.Length <= width ? text : string.Concat(text.AsSpan(0, width - 1), "…");
}
