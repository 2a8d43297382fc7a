using LlmQueue.Engine;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Options;

/// <summary>Checks the "Engine" section before the engine is built (the rules are the engine's), so a typo fails start-up with the key name.</summary>
internal sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        var failures = options.Validate("Engine");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
