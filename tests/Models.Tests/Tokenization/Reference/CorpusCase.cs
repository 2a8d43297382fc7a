using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LlmQueue.Models.Tests.Tokenization.Reference;

/// <summary>One named text of the committed parity corpus (corpus.json next to this file).</summary>
public sealed record CorpusCase(string Name, string Text)
{
    public static string CorpusPath(string repositoryRoot) =>
        Path.Combine(repositoryRoot, "tests", "Models.Tests", "Tokenization", "Reference", "corpus.json");

    /// <summary>
    /// The cases as a JSON array with every character outside printable ASCII escaped, so that unpaired surrogates
    /// (which System.Text.Json refuses to write) reach JavaScript's JSON.parse as they are.
    /// </summary>
    public static string ToJson(IEnumerable<CorpusCase> cases)
    {
        var json = new StringBuilder("[");
        foreach (var item in cases)
        {
            json.Append(json.Length > 1 ? "," : "").Append("{\"name\":");
            AppendQuoted(json, item.Name);
            json.Append(",\"text\":");
            AppendQuoted(json, item.Text);
            json.Append('}');
        }

        return json.Append(']').ToString();
    }

    private static void AppendQuoted(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (var c in text)
        {
            if (c is >= ' ' and <= '~' and not '"' and not '\\')
            {
                json.Append(c);
            }
            else
            {
                json.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
        }

        json.Append('"');
    }

    public static IReadOnlyList<CorpusCase> Load(string repositoryRoot) =>
        JsonSerializer.Deserialize<List<CorpusCase>>(File.ReadAllText(CorpusPath(repositoryRoot)), JsonSerializerOptions.Web)
        ?? throw new InvalidDataException("corpus.json is empty.");
}
