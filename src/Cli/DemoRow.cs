using LlmQueue.Contracts;

namespace LlmQueue.Cli;

/// <summary>One line of the demo's results table.</summary>
internal sealed record DemoRow(
    string Label, string Prompt, int PromptTokens, int CompletionTokens, double? TtftMs, double TokensPerSecond, string Finish, string? Error)
{
    public static DemoRow Completed(string label, string prompt, GenerateCompleted completion, RequestMeter meter) => new(
        label, prompt, completion.Usage.PromptTokens, completion.Usage.CompletionTokens, meter.TtftMs,
        meter.TokensPerSecond(completion), completion.FinishReason, null);

    public static DemoRow Failed(string label, string prompt, string error) =>
        new(label, prompt, 0, 0, null, 0, "failed: " + error, error);
}
