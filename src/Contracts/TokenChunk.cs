namespace LlmQueue.Contracts;

/// <summary>
/// Streamed piece of output. (RequestId, Attempt, Seq) identifies it: a redelivered request restarts
/// at Seq 0 with a higher Attempt, so clients can de-duplicate.
/// </summary>
public sealed record TokenChunk
{
    public string RequestId { get; init; } = "";

    public int Attempt { get; init; }

    public int Seq { get; init; }

    /// <summary>Complete UTF-8 text for the tokens so far minus what earlier chunks carried.</summary>
    public string TextDelta { get; init; } = "";

    public IReadOnlyList<int> TokenIds { get; init; } = [];

    /// <summary>One entry per token of <see cref="TokenIds"/> when the request set sampling.logprobs; null otherwise.</summary>
    public IReadOnlyList<TokenLogprob>? Logprobs { get; init; }
}
