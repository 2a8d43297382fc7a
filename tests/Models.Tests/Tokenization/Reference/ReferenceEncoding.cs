namespace LlmQueue.Models.Tests.Tokenization.Reference;

/// <summary>What tools/reference/encode.mjs reports for one corpus case.</summary>
public sealed record ReferenceEncoding(string Name, int[] Ids, int[] IdsNoSpecial);
