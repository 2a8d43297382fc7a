namespace LlmQueue.Models.Tests.Tokenization.Reference;

/// <summary>A conversation for tools/reference/render-template.mjs.</summary>
public sealed record ReferenceConversation(string Name, (string Role, string Content)[] Messages, bool AddGenerationPrompt);

/// <summary>What render-template.mjs reports for one conversation: the output, or the template's error.</summary>
public sealed record ReferenceRendering(string Name, string? Output, string? Error);
