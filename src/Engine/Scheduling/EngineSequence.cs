using System.Runtime.InteropServices;
using LlmQueue.Engine.KvCache.Jenga;

namespace LlmQueue.Engine.Scheduling;

/// <summary>
/// The scheduler's view of one request: its tokens, how many have K/V in the cache, and its handle into
/// the KV pool. Prompt and generated tokens live in one list because a preempted sequence recomputes both.
/// </summary>
public sealed class EngineSequence(string requestId, IReadOnlyList<int> promptTokens, int priority, long arrivalOrder, KvSequence kv)
{
    private readonly List<int> _tokens = [.. promptTokens];

    public string RequestId { get; } = requestId;

    public int Priority { get; } = priority;

    /// <summary>Tie-break among equal priorities: first come, first served.</summary>
    public long ArrivalOrder { get; } = arrivalOrder;

    public int PromptLength { get; } = promptTokens.Count;

    public IReadOnlyList<int> Tokens => _tokens;

    public ReadOnlySpan<int> TokenSpan => CollectionsMarshal.AsSpan(_tokens);

    public int OutputLength => _tokens.Count - PromptLength;

    /// <summary>Tokens whose K/V are in the cache.</summary>
    public int ComputedTokens { get; set; }

    public int UncomputedTokens => _tokens.Count - ComputedTokens;

    /// <summary>Block tables and prefix hashes in the KV pool.</summary>
    public KvSequence Kv { get; } = kv;

    /// <summary>Prompt tokens the prefix cache served at the first admission (not re-counted after a preemption).</summary>
    public int? CachedPromptTokens { get; set; }

    public SequenceStatus Status { get; set; } = SequenceStatus.Waiting;

    public int Preemptions { get; set; }

    public void AppendToken(int token) => _tokens.Add(token);
}
