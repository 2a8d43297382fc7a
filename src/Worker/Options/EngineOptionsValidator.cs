using LlmQueue.Models.Sources;
using LlmQueue.Engine;
using Microsoft.Extensions.Options;

namespace LlmQueue.Worker.Options;

/// <summary>Checks the "Engine" section before the engine is built, so a typo fails start-up with the key name.</summary>
internal sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ModelPath) && string.IsNullOrWhiteSpace(options.SyntheticModel))
        {
            failures.Add("Engine:SyntheticModel must be set when Engine:ModelPath is empty.");
        }

        if (!string.IsNullOrWhiteSpace(options.ModelPath) && ModelSource.IsLocalPath(options.ModelPath) && !Directory.Exists(options.ModelPath))
        {
            failures.Add($"Engine:ModelPath '{options.ModelPath}' is not an existing folder.");
        }

        AddIfNotPositive(failures, "BlockSize", options.BlockSize);
        AddIfNotPositive(failures, "KvCacheMiB", options.KvCacheMiB);
        AddIfNotPositive(failures, "MaxBatchTokens", options.MaxBatchTokens);
        AddIfNotPositive(failures, "MaxRunningRequests", options.MaxRunningRequests);
        if (options.Threads < 0)
        {
            failures.Add($"Engine:Threads must be >= 0 (0 = all cores), got {options.Threads}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AddIfNotPositive(List<string> failures, string key, int value)
    {
        if (value <= 0)
        {
            failures.Add($"Engine:{key} must be > 0, got {value}.");
        }
    }
}
