using LlmQueue.Engine;

namespace LlmQueue.Integration.Tests;

/// <summary>The real engine on the small synthetic model, as the broker tests run it.</summary>
public static class IntegrationEngine
{
    /// <summary>Command-line settings for the real engine: the small, fast synthetic model.</summary>
    public static IEnumerable<string> Args => ["--Engine:SyntheticModel=tiny", "--Engine:ModelPath=", "--Engine:KvCacheMiB=16"];

    /// <summary>
    /// A request long enough to be interrupted, short enough for a second replica to finish. The tiny model decodes
    /// thousands of tokens/s; while the other test assemblies load both cores, a cancel's trip through the broker
    /// took longer than 400 tokens did, so the request runs for about a second even on an idle machine.
    /// </summary>
    public static int LongMaxTokens(ModelInfo model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Math.Min(model.ContextLength - 16, 2000);
    }
}
