using LlmQueue.Models.Weights;

namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>
/// The shape of one remote KV value: K/V of one block for every layer of one layer type, in the pool's page
/// byte layout. A reader compares it with the header it expects; any difference makes the value unusable.
/// </summary>
public sealed record KvBlockHeader(TensorDType Dtype, int LayerCount, int KvHeads, int HeadDim, int BlockTokens, int TokenCount, int PayloadLength);
