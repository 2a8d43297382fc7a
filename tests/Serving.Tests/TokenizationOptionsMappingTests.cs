using System.Text.Json;
using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.Models.Tokenization;
using LlmQueue.Serving.Requests;

namespace LlmQueue.Serving.Tests;

/// <summary>parseSpecialTokens, skipSpecialTokens and invalidUtf8 from raw JSON to the engine's request.</summary>
public sealed class TokenizationOptionsMappingTests
{

    [Fact]
    public void Defaults_split_special_tokens_skip_them_in_text_and_replace_invalid_utf8()
    {
        var request = Map("""{"requestId":"r","prompt":"<|im_start|>hi"}""");
        Assert.False(request.ParseSpecialTokens);
        Assert.True(request.Sampling.SkipSpecialTokens);
        Assert.Equal(InvalidUtf8Handling.Replace, request.Sampling.InvalidUtf8);
    }

    [Fact]
    public void Each_option_can_be_set()
    {
        var request = Map("""{"requestId":"r","prompt":"x","parseSpecialTokens":true,"sampling":{"skipSpecialTokens":false,"invalidUtf8":"error"}}""");
        Assert.True(request.ParseSpecialTokens);
        Assert.False(request.Sampling.SkipSpecialTokens);
        Assert.Equal(InvalidUtf8Handling.Error, request.Sampling.InvalidUtf8);
    }

    [Fact]
    public void An_unknown_invalid_utf8_mode_is_an_invalid_request_naming_the_field()
    {
        var error = Assert.Throws<RequestRejectedException>(() => Map("""{"requestId":"r","prompt":"x","sampling":{"invalidUtf8":"ignore"}}"""));
        Assert.Equal(RejectionReason.InvalidRequest, error.Reason);
        Assert.Contains("sampling.invalidUtf8", error.Message, StringComparison.Ordinal);
    }

    private static GenerationRequest Map(string json) =>
        RequestMapper.Map(JsonSerializer.Deserialize<GenerateRequest>(json, JsonSerializerOptions.Web)!, 0);
}
