using System.Text.Json;

namespace LlmQueue.Models.Tests.Tokenization;

/// <summary>
/// A tiny byte-level BPE tokenizer.json whose encodings can be worked out by hand.
/// Vocab: a=0 b=1 c=2 d=3 Ġ=4 ab=5 bc=6 abc=7 cd=8 Ġa=9 aa=10; added: &lt;s&gt;=11, &lt;|x|&gt;=12, &lt;|x|&gt;y=13.
/// Merges by rank: 0 "b c", 1 "a b", 2 "a bc", 3 "c d", 4 "Ġ a", 5 "a a".
/// </summary>
internal static class HandBuiltTokenizer
{
    public static readonly string[][] Merges =
    [
        ["b", "c"], ["a", "b"], ["a", "bc"], ["c", "d"], ["Ġ", "a"], ["a", "a"],
    ];

    public static string Json(bool mergesAsArrays, object? postProcessor = null, object? merges = null) =>
        JsonSerializer.Serialize(Document(mergesAsArrays, postProcessor, merges));

    public static Dictionary<string, object?> Document(bool mergesAsArrays, object? postProcessor = null, object? merges = null) => new()
    {
        ["version"] = "1.0",
        ["added_tokens"] = new object[]
        {
            new { id = 11, content = "<s>", special = true },
            new { id = 12, content = "<|x|>", special = true },
            new { id = 13, content = "<|x|>y", special = false },
        },
        ["normalizer"] = null,
        ["pre_tokenizer"] = new { type = "ByteLevel", add_prefix_space = false, use_regex = true },
        ["post_processor"] = postProcessor ?? new
        {
            type = "TemplateProcessing",
            single = new object[]
            {
                new { SpecialToken = new { id = "<s>", type_id = 0 } },
                new { Sequence = new { id = "A", type_id = 0 } },
            },
            special_tokens = new Dictionary<string, object>
            {
                ["<s>"] = new { id = "<s>", ids = new[] { 11 }, tokens = new[] { "<s>" } },
            },
        },
        ["decoder"] = new { type = "ByteLevel" },
        ["model"] = new Dictionary<string, object?>
        {
            ["type"] = "BPE",
            ["vocab"] = new Dictionary<string, int>
            {
                ["a"] = 0, ["b"] = 1, ["c"] = 2, ["d"] = 3, ["Ġ"] = 4, ["ab"] = 5,
                ["bc"] = 6, ["abc"] = 7, ["cd"] = 8, ["Ġa"] = 9, ["aa"] = 10,
            },
            ["merges"] = merges ?? (mergesAsArrays
                ? Merges
                : Merges.Select(m => $"{m[0]} {m[1]}").ToArray()),
        },
    };
}
