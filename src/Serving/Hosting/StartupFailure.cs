using LlmQueue.Engine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Hosting;

/// <summary>
/// Turns a failure at start into what an operator needs: one line and an exit code for the expected ones (bad
/// configuration, a model that cannot be loaded), the full exception only for bugs.
/// </summary>
public static class StartupFailure
{
    /// <returns>The exit code and the text to print on standard error.</returns>
    public static (int ExitCode, string Text) Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var root = exception is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : exception;
        return root switch
        {
            OptionsValidationException options => (ExitCodes.Configuration, "Configuration error: " + string.Join(" ", options.Failures)),
            InvalidOperationException binding when IsConversionFailure(binding) => (ExitCodes.Configuration, "Configuration error: " + binding.Message),
            EngineStartException { Failure: EngineStartFailure.Configuration } start => (ExitCodes.Configuration, "Configuration error: " + start.Message),
            EngineStartException start => (ExitCodes.Model, "Model error: " + start.Message),
            _ => (ExitCodes.Unexpected, "Unexpected failure at start: " + root),
        };
    }

    /// <summary>
    /// The configuration binder's own failure: a value that does not convert to its option's type ("abc" for a
    /// number). Its message names the value, the key and the type.
    /// </summary>
    private static bool IsConversionFailure(InvalidOperationException exception) =>
        exception.TargetSite?.DeclaringType == typeof(ConfigurationBinder);
}
