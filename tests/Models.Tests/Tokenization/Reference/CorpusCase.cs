using System.Text.Json;

namespace LlmQueue.Models.Tests.Tokenization.Reference;

/// <summary>One named text of the committed parity corpus (corpus.json next to this file).</summary>
public sealed record CorpusCase(string Name, string Text)
{
    public static string CorpusPath(string repositoryRoot) =>
        Path.Combine(repositoryRoot, "tests", "Models.Tests", "Tokenization", "Reference", "corpus.json");

    public static IReadOnlyList<CorpusCase> Load(string repositoryRoot) =>
        JsonSerializer.Deserialize<List<CorpusCase>>(File.ReadAllText(CorpusPath(repositoryRoot)), JsonSerializerOptions.Web)
        ?? throw new InvalidDataException("corpus.json is empty.");
}
