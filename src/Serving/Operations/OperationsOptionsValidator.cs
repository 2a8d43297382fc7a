using System.Net;
using LlmQueue.Serving.Options;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Operations;

/// <summary>Checks the "Operations" section at start-up; messages name the key, the rule and the value found.</summary>
internal sealed class OperationsOptionsValidator(IOptions<TransportOptions> transport) : IValidateOptions<OperationsOptions>
{
    public ValidateOptionsResult Validate(string? name, OperationsOptions options)
    {
        var failures = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            failures.Add($"Operations:Port must be 0-65535 (0 = off), got {options.Port}.");
        }

        if (options.BindAddress != "*" && !IPAddress.TryParse(options.BindAddress, out _))
        {
            failures.Add($"Operations:BindAddress must be an IP address or \"*\", got \"{options.BindAddress}\".");
        }

        if (options.OtlpEndpoint.Length > 0
            && !(Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out var otlp) && (otlp.Scheme == Uri.UriSchemeHttp || otlp.Scheme == Uri.UriSchemeHttps)))
        {
            failures.Add($"Operations:OtlpEndpoint must be an absolute http(s) URL or empty, got \"{options.OtlpEndpoint}\".");
        }

        if (!Enum.IsDefined(options.OtlpProtocol))
        {
            failures.Add($"Operations:OtlpProtocol must be one of {string.Join(", ", Enum.GetNames<OtlpWireProtocol>())}, got {options.OtlpProtocol}.");
        }

        if (options.EngineStallSeconds is < 0 or > 86400)
        {
            failures.Add($"Operations:EngineStallSeconds must be 0-86400 (0 = not checked), got {options.EngineStallSeconds}.");
        }

        var drain = transport.Value.DrainTimeoutSeconds;
        if (options.TerminationGracePeriodSeconds < 0)
        {
            failures.Add($"Operations:TerminationGracePeriodSeconds must be 0 (not known) or more, got {options.TerminationGracePeriodSeconds}.");
        }
        else if (options.TerminationGracePeriodSeconds > 0 && drain + OperationsOptions.StopMarginSeconds >= options.TerminationGracePeriodSeconds)
        {
            failures.Add(
                $"Transport:DrainTimeoutSeconds ({drain}) plus {OperationsOptions.StopMarginSeconds} s to return unfinished requests must be below "
                + $"Operations:TerminationGracePeriodSeconds ({options.TerminationGracePeriodSeconds}), or the orchestrator kills the worker mid-drain.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
