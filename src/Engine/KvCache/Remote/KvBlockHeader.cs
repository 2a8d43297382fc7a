using LlmQueue.Engine.Runners;

namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>
/// The shape of one remote KV value: K/V of one block for every layer of one layer type, in the writing runner's
/// page format. A reader compares it with the header it expects; any difference makes the value unusable.
/// </summary>
public sealed record KvBlockHeader(KvPageFormat Format, int LayerCount, int KvHeads, int HeadDim, int BlockTokens, int TokenCount, int PayloadLength);
