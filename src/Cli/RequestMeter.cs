using System.Diagnostics;
using LlmQueue.Contracts;

namespace LlmQueue.Cli;

/// <summary>Client-side timing of one request: time to first token and generated tokens per second.</summary>
internal sealed class RequestMeter
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public double? TtftMs { get; private set; }

    public double TotalMs => _clock.Elapsed.TotalMilliseconds;

    public void OnChunk() => TtftMs ??= _clock.Elapsed.TotalMilliseconds;

    /// <summary>Completion tokens over the wall time from send to completion.</summary>
    public double TokensPerSecond(GenerateCompleted completion) =>
        TotalMs > 0 ? completion.Usage.CompletionTokens * 1000.0 / TotalMs : 0;
}
