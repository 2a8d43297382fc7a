namespace LlmQueue.Models.Tokenization;

/// <summary>An entry of tokenizer.json's added_tokens: matched verbatim in input and never split.</summary>
public readonly record struct AddedToken(int Id, string Content, bool Special);
