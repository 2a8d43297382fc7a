using LlmQueue.Engine.Sources;
using LlmQueue.Engine.Templates;
using LlmQueue.Engine.Tokenization;
using LlmQueue.Engine.Weights;
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
            ModelLoadException or ModelSourceException or TokenizerFormatException or TemplateException or FileNotFoundException or DirectoryNotFoundException =>
                (ExitCodes.Model, "Model error: " + root.Message),
            _ => (ExitCodes.Unexpected, "Unexpected failure at start: " + root),
        };
    }
}
