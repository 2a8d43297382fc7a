using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Engine.Runners;
using LlmQueue.Models;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Engine.Cpu;

/// <summary>Runs models on the CPU; always available. The KV memory is Engine:KvCacheMiB (at least one large page).</summary>
public sealed class CpuBackend : IRunnerBackend
{
    public string Device => EngineDevices.Cpu;

    public string? Unavailable => null;

    public IModelRunner CreateRunner(LlamaModel model, EngineOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var layout = CpuModelRunner.KvLayoutFor(model.Config, options.BlockSize);
        var largePages = LargePages(options.KvCacheMiB, layout);
        logger.LogInformation("CPU runner: {Threads} compute threads", options.Threads > 0 ? options.Threads : Environment.ProcessorCount);
        return new CpuModelRunner(model, options.BlockSize, largePages, options.Threads);
    }

    /// <summary>The budget in whole large pages, at least one (a model whose large page exceeds the budget still runs).</summary>
    internal static int LargePages(int kvCacheMiB, KvPoolLayout layout) =>
        (int)Math.Clamp(((long)kvCacheMiB << 20) / layout.LargePageBytes, 1, int.MaxValue / 64);
}
