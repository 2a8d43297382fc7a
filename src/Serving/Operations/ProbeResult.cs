namespace LlmQueue.Serving.Operations;

/// <summary>One probe's answer: HTTP 200 when <paramref name="Ok"/>, else 503; <paramref name="Detail"/> is the body.</summary>
public sealed record ProbeResult(bool Ok, string Detail);
