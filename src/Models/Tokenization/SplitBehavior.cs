namespace LlmQueue.Models.Tokenization;

/// <summary>How a Split pre-tokenizer treats its matches (Hugging Face naming).</summary>
internal enum SplitBehavior
{
    Isolated,
    Removed,
    MergedWithPrevious,
    MergedWithNext,
}
