using LlmQueue.Engine.KvCache.Remote;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Redis;

/// <summary>Checks the "RedisTier" section at start-up; messages name the key, the rule and the value found.</summary>
internal sealed class RemoteKvOptionsValidator : IValidateOptions<RemoteKvOptions>
{
    public ValidateOptionsResult Validate(string? name, RemoteKvOptions options)
    {
        var failures = options.Validate(RedisTierRegistration.SectionName);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
