using System.Text.Json;
using LlmQueue.Contracts;

namespace LlmQueue.Contracts.Tests;

/// <summary>
/// The wire form a raw JSON producer writes: camelCase, case-insensitive, web defaults (what MassTransit's
/// System.Text.Json serializer uses too).
/// </summary>
public class JsonShapeTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void A_plain_json_request_binds_every_documented_field()
    {
        const string json = """
            {"requestId":"r-1","prompt":"Hello","stream":true,"priority":2,"cacheSalt":"tenant-a","replyTo":"replies",
             "deadline":"2030-01-02T03:04:05+00:00",
             "sampling":{"maxTokens":16,"temperature":0.5,"topP":0.9,"topK":40,"minP":0.05,"seed":7,
                         "stop":["\n\n"],"stopTokenIds":[2],"ignoreEos":true,"presencePenalty":0.1,
                         "frequencyPenalty":0.2,"repetitionPenalty":1.1,"logprobs":5}}
            """;

        var request = JsonSerializer.Deserialize<GenerateRequest>(json, Web)!;

        Assert.Equal(("r-1", "Hello", true, 2, "tenant-a", "replies"),
            (request.RequestId, request.Prompt, request.Stream, request.Priority, request.CacheSalt, request.ReplyTo));
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero), request.Deadline);
        var s = request.Sampling!;
        Assert.Equal((16, 0.5, 0.9, 40, 0.05, 7L), (s.MaxTokens, s.Temperature, s.TopP, s.TopK, s.MinP, s.Seed));
        Assert.Equal(["\n\n"], s.Stop!);
        Assert.Equal([2], s.StopTokenIds!);
        Assert.Equal((true, 0.1, 0.2, 1.1, 5), (s.IgnoreEos, s.PresencePenalty, s.FrequencyPenalty, s.RepetitionPenalty, s.Logprobs));
    }

    [Fact]
    public void Replies_serialize_with_camel_case_names_and_string_finish_reasons()
    {
        var completed = new GenerateCompleted
        {
            RequestId = "r-1",
            Attempt = 1,
            Text = "hi",
            TokenIds = [5],
            FinishReason = FinishReasons.Length,
            Usage = new Usage { PromptTokens = 3, CachedPromptTokens = 0, CompletionTokens = 1 },
        };

        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(completed, Web));

        Assert.Equal("length", doc.RootElement.GetProperty("finishReason").GetString());
        Assert.Equal(3, doc.RootElement.GetProperty("usage").GetProperty("promptTokens").GetInt32());
        Assert.True(doc.RootElement.GetProperty("timings").TryGetProperty("ttftMs", out _));
    }

    [Fact]
    public void Logprobs_serialize_per_token_with_their_alternatives()
    {
        var chunk = new TokenChunk
        {
            RequestId = "r-1",
            TokenIds = [12],
            Logprobs = [new TokenLogprob { TokenId = 12, Token = " Paris", Logprob = -0.25f, TopLogprobs = [new TopLogprob { TokenId = 12, Token = " Paris", Logprob = -0.25f }] }],
        };

        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(chunk, Web));

        var entry = doc.RootElement.GetProperty("logprobs")[0];
        Assert.Equal((12, " Paris", -0.25), (entry.GetProperty("tokenId").GetInt32(), entry.GetProperty("token").GetString(), entry.GetProperty("logprob").GetDouble()));
        Assert.Equal(12, entry.GetProperty("topLogprobs")[0].GetProperty("tokenId").GetInt32());
    }
}
