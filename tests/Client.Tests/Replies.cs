using LlmQueue.Contracts;

namespace LlmQueue.Client.Tests;

/// <summary>Builders for worker replies.</summary>
internal static class Replies
{
    public static TokenChunk Chunk(string requestId, int attempt, int seq, string text, int tokenId) =>
        new() { RequestId = requestId, Attempt = attempt, Seq = seq, TextDelta = text, TokenIds = [tokenId] };

    public static GenerateCompleted Completed(string requestId, int attempt, string text, params int[] tokenIds) =>
        new()
        {
            RequestId = requestId,
            Attempt = attempt,
            Text = text,
            TokenIds = tokenIds,
            FinishReason = FinishReasons.Stop,
            Usage = new Usage { PromptTokens = 3, CompletionTokens = tokenIds.Length },
        };
}
