using LlmQueue.Models;
using LlmQueue.Engine.Runners;

namespace LlmQueue.Engine.KvCache.Jenga;

/// <summary>Builds KV layouts from a model's layers and the pool over a runner's KV memory.</summary>
public static class KvPoolFactory
{
    /// <summary>One layer type per distinct (KV bytes per token, sliding window) of the model's layers.</summary>
    public static KvPoolLayout LayoutFor(ModelConfig config, int blockTokens, int dtypeBytes)
    {
        ArgumentNullException.ThrowIfNull(config);
        var layers = Enumerable.Range(0, config.NumLayers)
            .Select(l => new KvLayerSpec(config.NumKvHeads, config.HeadDim, dtypeBytes, config.SlidingWindowOf(l)))
            .ToArray();
        return KvPoolLayout.FromLayers(layers, blockTokens);
    }

    /// <summary>
    /// The pool whose pages are the runner's KV memory, page for page. The model fingerprint is the root of every
    /// block hash: blocks are only shared by processes serving the same model.
    /// </summary>
    public static JengaKvCache ForRunner(IModelRunner runner, string modelFingerprint, bool enablePrefixCaching)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var layout = runner.KvLayout;
        return new JengaKvCache(layout, runner.KvLargePages * layout.LargePageBytes, modelFingerprint, enablePrefixCaching);
    }
}
