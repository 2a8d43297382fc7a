using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Engine.KvCache.Remote;

namespace LlmQueue.Engine.Scheduling;

/// <summary>
/// Decides what each step computes, vLLM v1 style: no prefill/decode phases; running sequences first,
/// each gets min(uncomputed tokens, budget left), so long prompts are chunked; then waiting sequences
/// by priority while slots, budget and blocks last, each first reusing its longest cached prefix. When
/// blocks run out, the newest running sequence is preempted (its pages freed, recomputed later, reusing
/// what is still cached). With a KV connector (the remote tier), a waiting sequence's prompt blocks beyond the
/// local hit are looked up there first; it waits while that lookup is in flight and others go ahead. Does no
/// math beyond counting.
/// </summary>
public sealed class Scheduler(SchedulerLimits limits, JengaKvCache kvCache, IKvConnector? connector = null)
{
    private readonly List<EngineSequence> _running = [];
    private readonly SortedSet<EngineSequence> _waiting = new(WaitingOrder.Instance);
    private readonly List<ScheduledChunk> _step = [];
    private readonly List<EngineSequence> _admitted = [];

    public int RunningCount => _running.Count;

    public int WaitingCount => _waiting.Count;

    public long TotalPreemptions { get; private set; }

    public bool HasWork => _running.Count > 0 || _waiting.Count > 0;

    public void Add(EngineSequence sequence)
    {
        sequence.Status = SequenceStatus.Waiting;
        _waiting.Add(sequence);
    }

    /// <summary>Drops a finished or cancelled sequence and frees its blocks.</summary>
    public void Remove(EngineSequence sequence)
    {
        if (sequence.Status == SequenceStatus.Running)
        {
            _running.Remove(sequence);
        }
        else if (sequence.Status == SequenceStatus.Waiting)
        {
            _waiting.Remove(sequence);
        }

        kvCache.Free(sequence.Kv);
        connector?.Forget(sequence.Kv);
        sequence.Status = SequenceStatus.Finished;
    }

    /// <summary>After a step: the sequence's first <paramref name="computedTokens"/> tokens have K/V (full blocks become cacheable).</summary>
    public void Commit(EngineSequence sequence, int computedTokens)
    {
        kvCache.Commit(sequence.Kv, sequence.Tokens.Span, computedTokens);
        connector?.Save(sequence.Kv);
    }

    /// <summary>Chunks for the next step; the list is reused by the following call.</summary>
    public IReadOnlyList<ScheduledChunk> Schedule()
    {
        _step.Clear();
        var budget = limits.MaxBatchTokens;
        var preempted = ScheduleRunning(ref budget);
        if (!preempted)
        {
            ScheduleWaiting(budget);
        }

        return _step;
    }

    private bool ScheduleRunning(ref int budget)
    {
        var preempted = false;
        for (var i = 0; i < _running.Count && budget > 0; i++)
        {
            var sequence = _running[i];
            var count = Math.Min(sequence.UncomputedTokens, budget);
            if (count == 0)
            {
                continue;
            }

            // Victims come from the tail (newest), which this loop has not reached yet, so nothing
            // already in _step is ever preempted.
            var selfPreempted = false;
            while (!kvCache.TryAllocate(sequence.Kv, count))
            {
                var victim = _running[^1];
                Preempt(victim);
                preempted = true;
                if (ReferenceEquals(victim, sequence))
                {
                    selfPreempted = true;
                    break;
                }
            }

            if (selfPreempted)
            {
                break;
            }

            _step.Add(new ScheduledChunk(sequence, count));
            budget -= count;
        }

        return preempted;
    }

    private void ScheduleWaiting(int budget)
    {
        _admitted.Clear();
        foreach (var sequence in _waiting)
        {
            if (budget <= 0 || _running.Count + _admitted.Count >= limits.MaxRunningRequests)
            {
                break;
            }

            var cached = MatchPrefix(sequence);
            if (cached is null)
            {
                continue; // its remote lookup is in flight; later sequences may go ahead
            }

            var count = Math.Min(sequence.UncomputedTokens, budget);
            if (!kvCache.TryAllocate(sequence.Kv, count))
            {
                // Drop the hit's references too: the next attempt matches afresh.
                kvCache.Free(sequence.Kv);
                break;
            }

            sequence.CachedPromptTokens ??= cached;
            _admitted.Add(sequence);
            _step.Add(new ScheduledChunk(sequence, count));
            budget -= count;
        }

        foreach (var sequence in _admitted)
        {
            _waiting.Remove(sequence);
            sequence.Status = SequenceStatus.Running;
            _running.Add(sequence);
        }
    }

    /// <summary>
    /// The sequence's reusable prefix: the local hit, extended by blocks the connector has ready (loaded into
    /// fresh pages and committed, so they are cached locally from now on). Null while the connector's lookup is
    /// in flight; the sequence then holds no pages.
    /// </summary>
    private int? MatchPrefix(EngineSequence sequence)
    {
        var tokens = sequence.Tokens.Span;
        var cached = kvCache.MatchPrefix(sequence.Kv, tokens);
        if (connector is null)
        {
            return cached;
        }

        var blockTokens = kvCache.Layout.BlockTokens;
        var local = cached / blockTokens;
        // As for local hits, the last token is always recomputed to produce logits.
        var maxBlocks = Math.Min((tokens.Length - 1) / blockTokens, sequence.Kv.HashedBlocks);
        var ready = local < maxBlocks ? connector.ReadyBlocks(sequence.Kv, local, maxBlocks) : 0;
        if (ready is null)
        {
            kvCache.Free(sequence.Kv);
            return null;
        }

        if (ready > 0 && kvCache.TryAllocateExternal(sequence.Kv, ready.Value))
        {
            connector.Load(sequence.Kv, local, ready.Value);
            cached = sequence.Kv.PrefixHitTokens;
            kvCache.Commit(sequence.Kv, tokens, cached);
        }

        return cached;
    }

    private void Preempt(EngineSequence sequence)
    {
        _running.Remove(sequence);
        kvCache.Free(sequence.Kv);
        sequence.Preemptions++;
        TotalPreemptions++;
        sequence.Status = SequenceStatus.Waiting;
        _waiting.Add(sequence);
    }
}
