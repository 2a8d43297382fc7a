using System.Globalization;
using LlmQueue.Engine.Runners;

namespace LlmQueue.Engine.Sampling;

/// <summary>Checks sampling settings at submit time; the message names the offending field (the JSON contract's names).</summary>
public static class SamplingValidator
{
    /// <summary>Null when valid, otherwise a message naming the field and the problem.</summary>
    public static string? Validate(SamplingSettings settings, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return CheckTemperature(settings.Temperature)
            ?? CheckRange("sampling.topP", settings.TopP, min: 0f, minInclusive: false, max: 1f)
            ?? CheckRange("sampling.minP", settings.MinP, min: 0f, minInclusive: true, max: 1f)
            ?? (settings.TopK < -1 ? $"sampling.topK must be -1 or 0 (disabled) or positive, got {settings.TopK}" : null)
            ?? (settings.RepetitionPenalty > 0f && float.IsFinite(settings.RepetitionPenalty)
                ? null
                : $"sampling.repetitionPenalty must be a finite number > 0, got {Format(settings.RepetitionPenalty)}")
            ?? CheckRange("sampling.presencePenalty", settings.PresencePenalty, min: -2f, minInclusive: true, max: 2f)
            ?? CheckRange("sampling.frequencyPenalty", settings.FrequencyPenalty, min: -2f, minInclusive: true, max: 2f)
            ?? (settings.MaxTokens <= 0 ? $"sampling.maxTokens must be > 0, got {settings.MaxTokens}" : null)
            ?? CheckStopTokenIds(settings.StopTokenIds, vocabSize)
            ?? (settings.StopStrings.Any(string.IsNullOrEmpty) ? "sampling.stop must not contain an empty string" : null)
            ?? (settings.Logprobs is < 0 or > SamplingParameters.MaxLogprobs
                ? $"sampling.logprobs must be in [0, {SamplingParameters.MaxLogprobs}], got {settings.Logprobs}"
                : null);
    }

    private static string? CheckTemperature(float temperature) =>
        float.IsFinite(temperature) && temperature >= 0f
            ? null
            : $"sampling.temperature must be a finite number >= 0, got {Format(temperature)}";

    private static string? CheckRange(string field, float value, float min, bool minInclusive, float max)
    {
        var aboveMin = minInclusive ? value >= min : value > min;
        return aboveMin && value <= max
            ? null
            : $"{field} must be in {(minInclusive ? "[" : "(")}{Format(min)}, {Format(max)}], got {Format(value)}";
    }

    private static string? CheckStopTokenIds(IReadOnlyList<int> ids, int vocabSize)
    {
        foreach (var id in ids)
        {
            if (id < 0 || id >= vocabSize)
            {
                return $"sampling.stopTokenIds contains {id}, outside the vocabulary [0, {vocabSize})";
            }
        }

        return null;
    }

    private static string Format(float value) => value.ToString(CultureInfo.InvariantCulture);
}
