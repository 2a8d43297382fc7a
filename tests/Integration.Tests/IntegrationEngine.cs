using LlmQueue.Engine;
using Microsoft.Extensions.DependencyInjection;

namespace LlmQueue.Integration.Tests;

/// <summary>Which engine the broker tests run the worker with.</summary>
public static class IntegrationEngine
{
    /// <summary>
    /// TEMPORARY switch: false until EngineFactory.Create lands on main; then set true and delete
    /// <see cref="StandInEngine"/>. Every assertion holds for both (structure, order, counts, codes).
    /// </summary>
    public static bool UseRealEngine => false;

    /// <summary>Command-line settings for the real engine: the small, fast synthetic model.</summary>
    public static IEnumerable<string> Args => ["--Engine:SyntheticModel=tiny", "--Engine:ModelPath="];

    public static void Register(IServiceCollection services)
    {
        if (!UseRealEngine)
        {
            services.AddSingleton<IGenerationEngine>(new StandInEngine());
        }
    }

    /// <summary>A request long enough to be interrupted, short enough for a second replica to finish.</summary>
    public static int LongMaxTokens(ModelInfo model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Math.Min(model.ContextLength - 16, 400);
    }
}
