using LlmQueue.Models.Weights;

namespace LlmQueue.Engine.Runners;

/// <summary>
/// What the bytes of a KV page mean: the element type and the runner's layout of K and V inside a layer's block.
/// Two runners exchange pages (through the remote tier) only when their formats are equal.
/// </summary>
public readonly record struct KvPageFormat(TensorDType Dtype, byte LayoutId)
{
    /// <summary>
    /// Inside one layer's block: K as [kvHeads][blockTokens][headDim], then V in the same shape (one head's keys
    /// for a block are contiguous). The CPU runner's layout; a device runner cutting its pages the same way uses it too.
    /// </summary>
    public const byte HeadMajorLayout = 1;
}
