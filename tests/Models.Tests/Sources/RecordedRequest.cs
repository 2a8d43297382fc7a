namespace LlmQueue.Models.Tests.Sources;

/// <summary>One request a fake server received. <paramref name="Server"/> is "hub" or "cdn".</summary>
public sealed record RecordedRequest(string Server, string Path, string? Range, string? Authorization);
