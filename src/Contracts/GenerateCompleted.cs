namespace LlmQueue.Contracts;

/// <summary>Exactly one per successful request, after the last <see cref="TokenChunk"/>.</summary>
public sealed record GenerateCompleted
{
    public string RequestId { get; init; } = "";

    public int Attempt { get; init; }

    public string Text { get; init; } = "";

    public IReadOnlyList<int> TokenIds { get; init; } = [];

    /// <summary>One entry per generated token when the request set sampling.logprobs; null otherwise.</summary>
    public IReadOnlyList<TokenLogprob>? Logprobs { get; init; }

    /// <summary>stop, length, cancelled or deadline (see <see cref="FinishReasons"/>).</summary>
    public string FinishReason { get; init; } = "";

    public Usage Usage { get; init; } = new();

    public Timings Timings { get; init; } = new();
}
