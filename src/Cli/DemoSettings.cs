namespace LlmQueue.Cli;

internal sealed record DemoSettings(int Requests, int MaxTokens, string? ModelPath, BrokerSettings Broker);
