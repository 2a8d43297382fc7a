namespace LlmQueue.Contracts;

/// <summary>One alternative token at a generated position and its log probability.</summary>
public sealed record TopLogprob
{
    public int TokenId { get; init; }

    public string Token { get; init; } = "";

    public float Logprob { get; init; }
}
