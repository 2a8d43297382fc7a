using LlmQueue.Models.Tokenization;

namespace LlmQueue.Models.Tests.Tokenization;

public class VocabTableTests
{
    [Fact]
    public void Finds_every_token_and_none_of_its_near_misses()
    {
        var random = new Random(5);
        var tokens = new Dictionary<string, int>(StringComparer.Ordinal);
        while (tokens.Count < 50_000)
        {
            var chars = new char[1 + random.Next(12)];
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = (char)(i % 3 == 2 ? 0x4E00 + random.Next(500) : 'a' + random.Next(26));
            }

            tokens.TryAdd(new string(chars), tokens.Count);
        }

        var table = new VocabTable(tokens);
        foreach (var (token, id) in tokens)
        {
            Assert.True(table.TryGetValue(token, out var found));
            Assert.Equal(id, found);

            // Absent strings that differ from a token by one character, or extend it: what encode asks about.
            var changed = token[..^1] + (char)(token[^1] + 1);
            Assert.Equal(tokens.ContainsKey(changed), table.TryGetValue(changed, out _));
            Assert.Equal(tokens.ContainsKey(token + "x"), table.TryGetValue(token + "x", out _));
        }
    }
}
