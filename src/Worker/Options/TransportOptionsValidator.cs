using Microsoft.Extensions.Options;

namespace LlmQueue.Worker.Options;

/// <summary>Fails start-up with messages naming the configuration key, the rule and the value found.</summary>
internal sealed class TransportOptionsValidator : IValidateOptions<TransportOptions>
{
    public ValidateOptionsResult Validate(string? name, TransportOptions options)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Kind))
        {
            failures.Add($"Transport:Kind must be InMemory or RabbitMq, got {options.Kind}.");
        }

        if (string.IsNullOrWhiteSpace(options.RequestQueue))
        {
            failures.Add("Transport:RequestQueue must not be empty.");
        }

        if (options.DrainTimeoutSeconds is < 0 or > 3600)
        {
            failures.Add($"Transport:DrainTimeoutSeconds must be 0-3600, got {options.DrainTimeoutSeconds}.");
        }

        if (options.RetryLimit is < 0 or > 100)
        {
            failures.Add($"Transport:RetryLimit must be 0-100, got {options.RetryLimit}.");
        }

        if (options.Kind == TransportKind.RabbitMq)
        {
            AddRabbitMqFailures(options.RabbitMq, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AddRabbitMqFailures(RabbitMqOptions rabbit, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(rabbit.Host))
        {
            failures.Add("Transport:RabbitMq:Host must not be empty.");
        }

        if (rabbit.Port is < 1 or > 65535)
        {
            failures.Add($"Transport:RabbitMq:Port must be 1-65535, got {rabbit.Port}.");
        }

        if (string.IsNullOrEmpty(rabbit.VirtualHost))
        {
            failures.Add("Transport:RabbitMq:VirtualHost must not be empty (use \"/\" for the default).");
        }

        if (string.IsNullOrEmpty(rabbit.Username))
        {
            failures.Add("Transport:RabbitMq:Username must not be empty.");
        }
    }
}
