using LlmQueue.Engine.Models;

namespace LlmQueue.Engine.KvCache.Jenga;

/// <summary>The KV pool matching a runner's KV tensors: one page per runner block.</summary>
public static class KvPoolFactory
{
    public static JengaKvCache ForRunner(IModelRunner runner, string modelName, bool enablePrefixCaching)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var config = runner.Config;
        // The CPU runner keeps f32 K/V for every layer with full attention: one layer type, so page p is
        // runner block p. Sliding-window types arrive with per-type tables in the runner (issue 3).
        var layers = Enumerable.Repeat(new KvLayerSpec(config.NumKvHeads, config.HeadDim, sizeof(float)), config.NumLayers).ToArray();
        var layout = KvPoolLayout.FromLayers(layers, runner.BlockSize);
        var pool = new JengaKvCache(layout, runner.NumBlocks * layout.SmallPageBytes(0), Fingerprint(modelName, config), enablePrefixCaching);
        if (pool.SmallPageCount(0) != runner.NumBlocks)
        {
            throw new InvalidOperationException($"KV pool has {pool.SmallPageCount(0)} pages for {runner.NumBlocks} runner blocks.");
        }

        return pool;
    }

    /// <summary>Root of every block hash: blocks are only shared by processes serving the same model shape and name.</summary>
    private static string Fingerprint(string modelName, ModelConfig config) => $"{modelName}|{config}";
}
