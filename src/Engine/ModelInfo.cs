namespace LlmQueue.Engine;

/// <summary>What the host needs to know about the loaded model.</summary>
public sealed record ModelInfo(string Name, int ContextLength, int VocabSize);
