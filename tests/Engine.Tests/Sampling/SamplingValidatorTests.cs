using LlmQueue.Engine.Sampling;
using Xunit;

namespace LlmQueue.Engine.Tests.Sampling;

public class SamplingValidatorTests
{
    private const int VocabSize = 100;

    public static TheoryData<SamplingSettings, string> Invalid => new()
    {
        { new SamplingSettings { Temperature = float.NaN }, "sampling.temperature" },
        { new SamplingSettings { Temperature = -0.1f }, "sampling.temperature" },
        { new SamplingSettings { TopP = 0f }, "sampling.topP" },
        { new SamplingSettings { TopP = 1.01f }, "sampling.topP" },
        { new SamplingSettings { TopP = float.NaN }, "sampling.topP" },
        { new SamplingSettings { MinP = -0.01f }, "sampling.minP" },
        { new SamplingSettings { MinP = 1.5f }, "sampling.minP" },
        { new SamplingSettings { TopK = -2 }, "sampling.topK" },
        { new SamplingSettings { RepetitionPenalty = 0f }, "sampling.repetitionPenalty" },
        { new SamplingSettings { RepetitionPenalty = float.NaN }, "sampling.repetitionPenalty" },
        { new SamplingSettings { PresencePenalty = 2.5f }, "sampling.presencePenalty" },
        { new SamplingSettings { FrequencyPenalty = -2.5f }, "sampling.frequencyPenalty" },
        { new SamplingSettings { MaxTokens = 0 }, "sampling.maxTokens" },
        { new SamplingSettings { StopTokenIds = [5, VocabSize] }, "sampling.stopTokenIds" },
        { new SamplingSettings { StopTokenIds = [-1] }, "sampling.stopTokenIds" },
        { new SamplingSettings { StopStrings = ["ok", ""] }, "sampling.stop" },
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
