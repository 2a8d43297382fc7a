using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Options;

/// <summary>Fails start-up with messages naming the configuration key, the rule and the value found.</summary>
internal sealed class TransportOptionsValidator : IValidateOptions<TransportOptions>
{
    public ValidateOptionsResult Validate(string? name, TransportOptions options)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Kind))
        {
            failures.Add($"Transport:Kind must be one of {string.Join(", ", Enum.GetNames<TransportKind>())}, got {options.Kind}.");
        }

        if (string.IsNullOrWhiteSpace(options.RequestQueue))
        {
            failures.Add("Transport:RequestQueue must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(options.CancelTopic))
        {
            failures.Add("Transport:CancelTopic must not be empty.");
        }

        AddIfOutside(failures, "DrainTimeoutSeconds", options.DrainTimeoutSeconds, 0, 3600);
        AddIfOutside(failures, "RetryLimit", options.RetryLimit, 0, 100);
        AddIfOutside(failures, "MaxBodyBytes", options.MaxBodyBytes, 1024, 256 << 20);
        AddIfOutside(failures, "FaultedExitSeconds", options.FaultedExitSeconds, 0, 86400);
        AddIfOutside(failures, "CancelMemorySeconds", options.CancelMemorySeconds, 0, 86400);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AddIfOutside(List<string> failures, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add($"Transport:{key} must be {min}-{max}, got {value}.");
        }
    }
}
