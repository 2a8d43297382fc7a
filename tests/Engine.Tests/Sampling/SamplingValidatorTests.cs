using LlmQueue.Engine.Sampling;
using Xunit;

namespace LlmQueue.Engine.Tests.Sampling;

public class SamplingValidatorTests
{
    private const int VocabSize = 100;

    public static TheoryData<SamplingSettings, string> Invalid => new()
    {
        { new SamplingSettings { Temperature = float.NaN }, "temperature" },
        { new SamplingSettings { Temperature = -0.1f }, "temperature" },
        { new SamplingSettings { TopP = 0f }, "top_p" },
        { new SamplingSettings { TopP = 1.01f }, "top_p" },
        { new SamplingSettings { TopP = float.NaN }, "top_p" },
        { new SamplingSettings { MinP = -0.01f }, "min_p" },
        { new SamplingSettings { MinP = 1.5f }, "min_p" },
        { new SamplingSettings { TopK = -2 }, "top_k" },
        { new SamplingSettings { RepetitionPenalty = 0f }, "repetition_penalty" },
        { new SamplingSettings { RepetitionPenalty = float.NaN }, "repetition_penalty" },
        { new SamplingSettings { PresencePenalty = 2.5f }, "presence_penalty" },
        { new SamplingSettings { FrequencyPenalty = -2.5f }, "frequency_penalty" },
        { new SamplingSettings { MaxTokens = 0 }, "max_tokens" },
        { new SamplingSettings { StopTokenIds = [5, VocabSize] }, "stop_token_ids" },
        { new SamplingSettings { StopTokenIds = [-1] }, "stop_token_ids" },
        { new SamplingSettings { StopStrings = ["ok", ""] }, "stop" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_bad_field_is_named(SamplingSettings settings, string field)
    {
        var message = SamplingValidator.Validate(settings, VocabSize);
        Assert.NotNull(message);
        Assert.StartsWith(field + " ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_settings_pass()
    {
        var settings = new SamplingSettings
        {
            Temperature = 0, TopP = 1, TopK = -1, MinP = 1, RepetitionPenalty = 1.2f, PresencePenalty = -2,
            FrequencyPenalty = 2, MaxTokens = 1, StopTokenIds = [0, VocabSize - 1], StopStrings = ["\n"],
        };
        Assert.Null(SamplingValidator.Validate(settings, VocabSize));
        Assert.Null(SamplingValidator.Validate(new SamplingSettings(), VocabSize));
    }
}
