using Microsoft.Extensions.Logging;

namespace LlmQueue.Engine;

/// <summary>Builds the engine for the configured model (or the synthetic one).</summary>
public static class EngineFactory
{
    public static IGenerationEngine Create(EngineOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        throw new NotImplementedException("Engine core lands with the scheduler merge.");
    }
}
