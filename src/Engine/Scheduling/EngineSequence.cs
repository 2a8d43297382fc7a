using LlmQueue.Engine.KvCache.Jenga;

namespace LlmQueue.Engine.Scheduling;

/// <summary>
/// The scheduler's view of one request: its tokens and its handle into the KV pool, which alone knows how many
/// of them have K/V. Prompt and generated tokens live in one buffer because a preempted sequence recomputes both;
/// the buffer only grows, so memory handed to a runner for a step stays valid while the step runs.
/// </summary>
public sealed class EngineSequence
{
    private int[] _tokens;
    private int _count;

    public EngineSequence(string requestId, IReadOnlyList<int> promptTokens, int priority, long arrivalOrder, KvSequence kv)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        RequestId = requestId;
        Priority = priority;
        ArrivalOrder = arrivalOrder;
        Kv = kv;
        PromptLength = promptTokens.Count;
        _tokens = new int[Math.Max(16, PromptLength * 2)];
        for (var i = 0; i < PromptLength; i++)
        {
            _tokens[i] = promptTokens[i];
        }

        _count = PromptLength;
    }

    public string RequestId { get; }

    public int Priority { get; }

    /// <summary>Tie-break among equal priorities: first come, first served.</summary>
    public long ArrivalOrder { get; }

    public int PromptLength { get; }

    public int Length => _count;

    /// <summary>Prompt then generated tokens.</summary>
    public ReadOnlyMemory<int> Tokens => _tokens.AsMemory(0, _count);

    public int OutputLength => _count - PromptLength;

    /// <summary>Tokens whose K/V are in the cache (the KV handle's count).</summary>
    public int ComputedTokens => Kv.ComputedTokens;

    public int UncomputedTokens => _count - ComputedTokens;

    /// <summary>Block tables and prefix hashes in the KV pool.</summary>
    public KvSequence Kv { get; }

    /// <summary>Prompt tokens served from cached KV at the first admission (usage; a preemption does not re-count).</summary>
    public int? CachedPromptTokens { get; set; }

    public SequenceStatus Status { get; set; } = SequenceStatus.Waiting;

    public int Preemptions { get; set; }

    public void AppendToken(int token)
    {
        if (_count == _tokens.Length)
        {
            // A new array, never a resize in place: a runner may still read the old one's memory.
            var grown = new int[_tokens.Length * 2];
            _tokens.AsSpan(0, _count).CopyTo(grown);
            _tokens = grown;
        }

        _tokens[_count++] = token;
    }
}
