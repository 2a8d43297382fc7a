namespace LlmQueue.Engine;

/// <summary>Tokens produced in one engine step and the complete UTF-8 text they released.</summary>
public sealed record GenerationDelta(IReadOnlyList<int> TokenIds, string TextDelta);
