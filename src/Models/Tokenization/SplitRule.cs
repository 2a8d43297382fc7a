namespace LlmQueue.Models.Tokenization;

/// <summary>One split step of a pre-tokenizer: where the pattern matches, and what happens to the matches.</summary>
internal sealed record SplitRule(SplitPattern Pattern, SplitBehavior Behavior);
