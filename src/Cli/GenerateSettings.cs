using LlmQueue.Contracts;

namespace LlmQueue.Cli;

internal sealed record GenerateSettings(string Prompt, SamplingParams Sampling, bool Stream, BrokerSettings Broker);
