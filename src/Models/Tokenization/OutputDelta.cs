namespace LlmQueue.Models.Tokenization;

/// <summary>Text that may be streamed now, and whether a stop string ended the output.</summary>
public readonly record struct OutputDelta(string Delta, bool Stopped);
