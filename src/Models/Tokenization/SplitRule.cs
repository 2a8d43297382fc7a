using System.Text.RegularExpressions;

namespace LlmQueue.Models.Tokenization;

/// <summary>One regex split step of a pre-tokenizer.</summary>
internal sealed record SplitRule(Regex Pattern, SplitBehavior Behavior);
