using System.Globalization;
using LlmQueue.Client;
using LlmQueue.Contracts;

namespace LlmQueue.Cli;

/// <summary>llmq generate: one prompt, printed streaming or whole, then its timings.</summary>
internal static class GenerateCommand
{
    public static async Task<int> RunAsync(GenerateSettings settings, CancellationToken cancellationToken)
    {
        await using var session = settings.Broker.Remote is { } remote
            ? await ClientSession.StartRemoteAsync(remote, settings.Broker.Queue, cancellationToken)
            : await ClientSession.StartEmbeddedAsync(settings.Broker, modelPath: null, cancellationToken);

        var request = new GenerateRequest { Prompt = settings.Prompt, Sampling = settings.Sampling };
        var meter = new RequestMeter();
        var completion = settings.Stream
            ? await StreamAsync(session.Client, request, meter, cancellationToken)
            : await session.Client.GenerateAsync(request, cancellationToken);
        if (!settings.Stream)
        {
            Console.WriteLine(completion.Text);
        }

        Console.WriteLine();
        PrintSummary(completion, meter, settings.Stream);
        return ExitCodes.Ok;
    }

    private static async Task<GenerateCompleted> StreamAsync(
        InferenceClient client, GenerateRequest request, RequestMeter meter, CancellationToken cancellationToken)
    {
        await foreach (var item in client.StreamEventsAsync(request, cancellationToken))
        {
            switch (item)
            {
                case ChunkReceived chunk:
                    meter.OnChunk();
                    Console.Write(chunk.Chunk.TextDelta);
                    break;
                case AttemptRestarted restart:
                    Console.WriteLine();
                    Console.WriteLine($"[the worker restarted this request (attempt {restart.Attempt}); text so far is void]");
                    break;
                case GenerationCompleted done:
                    return done.Completion;
            }
        }

        throw new InvalidOperationException("The reply stream ended without a completion.");
    }

    private static void PrintSummary(GenerateCompleted completion, RequestMeter meter, bool streamed)
    {
        var c = CultureInfo.InvariantCulture;
        var ttft = streamed && meter.TtftMs is { } t ? t.ToString("F1", c) + " ms" : "n/a (not streamed)";
        Console.WriteLine(string.Create(c, $"finish: {completion.FinishReason}   tokens: {completion.Usage.PromptTokens} prompt + {completion.Usage.CompletionTokens} generated"));
        Console.WriteLine(string.Create(c, $"client: TTFT {ttft}, {meter.TokensPerSecond(completion):F1} tokens/s over {meter.TotalMs:F0} ms"));
        Console.WriteLine(string.Create(c, $"worker: queued {completion.Timings.QueuedMs:F1} ms, TTFT {completion.Timings.TtftMs:F1} ms, decode {completion.Timings.DecodeTokensPerSec:F1} tokens/s"));
    }
}
