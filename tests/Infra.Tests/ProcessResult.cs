namespace LlmQueue.Infra.Tests;

/// <summary>What a finished child process left: its exit code and both output streams.</summary>
internal sealed record ProcessResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Everything the process said, for assertion messages.</summary>
    public string Transcript =>
        $"$ {CommandLine}\n(exit {ExitCode})\n--- stdout\n{StandardOutput}\n--- stderr\n{StandardError}";
}
