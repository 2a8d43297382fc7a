using LlmQueue.Engine.Models;
using LlmQueue.Engine.Scheduling;
using LlmQueue.Engine.Tokenization;

namespace LlmQueue.Engine;

/// <summary>
/// One engine step, like vLLM's EngineCore.step: schedule, run the model, sample, update, publish.
/// Single-threaded; <see cref="GenerationEngine"/> owns the thread and the inbox.
/// </summary>
internal sealed class EngineCore(IModelRunner runner, Scheduler scheduler, int contextLength, IReadOnlySet<int> eosTokenIds)
{
    private readonly Dictionary<string, ActiveRequest> _active = new(StringComparer.Ordinal);
    private readonly ForwardBatch _batch = new();
    private readonly List<(ActiveRequest Request, bool Samples)> _stepRequests = [];
    private readonly int _vocabSize = runner.Config.VocabSize;
    private readonly int _kvTypes = runner.KvLayout.TypeCount;
    private int[] _tokenScratch = new int[256];
    private int[] _tableScratch = new int[256];
    private float[] _logits = [];
    private long _steps;
    private long _batchSizeSum;
    private int _maxBatchSize;
    private long _promptTokens;
    private long _cachedPromptTokens;
    private long _generatedTokens;

    public int ActiveCount => _active.Count;

    public int WaitingCount => scheduler.WaitingCount;

    public bool HasWork => scheduler.HasWork;

    public bool Contains(string requestId) => _active.ContainsKey(requestId);

    public void Add(ActiveRequest request)
    {
        _active.Add(request.Request.RequestId, request);
        _promptTokens += request.Sequence.PromptLength;
        scheduler.Add(request.Sequence);
    }

    public bool Cancel(string requestId)
    {
        if (!_active.TryGetValue(requestId, out var request))
        {
            return false;
        }

        Finish(request, FinishReason.Cancelled);
        return true;
    }

    /// <summary>Finishes requests whose deadline has passed.</summary>
    public void ExpireDeadlines(DateTimeOffset now)
    {
        List<ActiveRequest>? expired = null;
        foreach (var request in _active.Values)
        {
            if (request.Request.Deadline is { } deadline && deadline <= now)
            {
                (expired ??= []).Add(request);
            }
        }

        expired?.ForEach(r => Finish(r, FinishReason.Deadline));
    }

    /// <summary>Finishes every request (engine shutdown).</summary>
    public void CancelAll()
    {
        foreach (var request in _active.Values.ToList())
        {
            Finish(request, FinishReason.Cancelled);
        }
    }

    /// <summary>Runs one step; false when there was nothing to schedule.</summary>
    public bool Step()
    {
        var chunks = scheduler.Schedule();
        if (chunks.Count == 0)
        {
            return false;
        }

        BuildBatch(chunks);
        var rows = _batch.LogitRows;
        if (_logits.Length < rows * _vocabSize)
        {
            _logits = new float[rows * _vocabSize];
        }

        try
        {
            runner.Execute(_batch, _logits.AsSpan(0, rows * _vocabSize));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The step's K/V is suspect: fail its requests, keep serving the others.
            foreach (var (request, _) in _stepRequests)
            {
                Finish(request, FinishReason.Error, $"Model step failed: {ex.Message}");
            }

            return true;
        }

        RecordStats(chunks.Count);
        ApplyOutputs(chunks);
        return true;
    }

    public EngineStats Stats(long reclaimableKvBytes, long kvCapacityBytes) => new()
    {
        CachedPromptTokens = _cachedPromptTokens,
        Steps = _steps,
        MeanBatchSize = _steps == 0 ? 0 : (double)_batchSizeSum / _steps,
        MaxBatchSize = _maxBatchSize,
        PromptTokens = _promptTokens,
        GeneratedTokens = _generatedTokens,
        Running = scheduler.RunningCount,
        Preemptions = scheduler.TotalPreemptions,
        Waiting = scheduler.WaitingCount,
        ReclaimableKvBytes = reclaimableKvBytes,
        KvCapacityBytes = kvCapacityBytes,
    };

    private void BuildBatch(IReadOnlyList<ScheduledChunk> chunks)
    {
        _batch.Sequences.Clear();
        _stepRequests.Clear();
        var tokenTotal = 0;
        var tableTotal = 0;
        foreach (var chunk in chunks)
        {
            tokenTotal += chunk.TokenCount;
            tableTotal += chunk.Sequence.Kv.BlockTable(0).Length * _kvTypes;
        }

        EnsureLength(ref _tokenScratch, tokenTotal);
        EnsureLength(ref _tableScratch, tableTotal);
        var tokenOffset = 0;
        var tableOffset = 0;
        foreach (var chunk in chunks)
        {
            var sequence = chunk.Sequence;
            var request = _active[sequence.RequestId];
            request.MarkScheduled();
            for (var i = 0; i < chunk.TokenCount; i++)
            {
                _tokenScratch[tokenOffset + i] = sequence.Tokens[sequence.ComputedTokens + i];
            }

            // Every layer type's table, back to back (they have equal lengths).
            var tablesStart = tableOffset;
            for (var type = 0; type < _kvTypes; type++)
            {
                var table = sequence.Kv.BlockTable(type);
                table.CopyTo(_tableScratch.AsSpan(tableOffset));
                tableOffset += table.Length;
            }

            _batch.Sequences.Add(new SequenceChunk(
                _tokenScratch.AsMemory(tokenOffset, chunk.TokenCount),
                sequence.ComputedTokens,
                _tableScratch.AsMemory(tablesStart, tableOffset - tablesStart),
                chunk.SamplesToken));
            _stepRequests.Add((request, chunk.SamplesToken));
            tokenOffset += chunk.TokenCount;
        }
    }

    private void ApplyOutputs(IReadOnlyList<ScheduledChunk> chunks)
    {
        var row = 0;
        for (var i = 0; i < chunks.Count; i++)
        {
            var (request, samples) = _stepRequests[i];
            scheduler.Commit(request.Sequence, request.Sequence.ComputedTokens + chunks[i].TokenCount);
            if (!samples)
            {
                continue;
            }

            var token = request.Sampler.Sample(_logits.AsSpan(row * _vocabSize, _vocabSize));
            row++;
            request.Sequence.AppendToken(token);
            _generatedTokens++;
            var reason = Advance(request, token);
            if (reason is { } finish)
            {
                Finish(request, finish);
            }
        }
    }

    /// <summary>Publishes the token's text and says whether the request is done.</summary>
    private FinishReason? Advance(ActiveRequest request, int token)
    {
        var sampling = request.Request.Sampling;
        if ((!sampling.IgnoreEos && eosTokenIds.Contains(token)) || sampling.StopTokenIds.Contains(token))
        {
            // Stop tokens end the output without adding text.
            request.Emit(token, "");
            return FinishReason.Stop;
        }

        var (delta, stopped) = request.Text.Append(token);
        request.Emit(token, delta);
        if (stopped)
        {
            return FinishReason.Stop;
        }

        return request.Sequence.OutputLength >= sampling.MaxTokens || request.Sequence.Tokens.Count >= contextLength
            ? FinishReason.Length
            : null;
    }

    private void Finish(ActiveRequest request, FinishReason reason, string? error = null)
    {
        _cachedPromptTokens += request.Sequence.CachedPromptTokens ?? 0;
        _active.Remove(request.Request.RequestId);
        scheduler.Remove(request.Sequence);
        request.EmitText(request.Text.Flush());
        if (error is null && request.Text.HadInvalidUtf8 && request.Request.Sampling.InvalidUtf8 == InvalidUtf8Handling.Error)
        {
            (reason, error) = (FinishReason.Error, "the generated tokens are not valid UTF-8 (sampling.invalidUtf8 is \"error\").");
        }

        request.Complete(reason, error);
    }

    private void RecordStats(int batchSize)
    {
        _steps++;
        _batchSizeSum += batchSize;
        _maxBatchSize = Math.Max(_maxBatchSize, batchSize);
    }

    private static void EnsureLength(ref int[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new int[Math.Max(length, buffer.Length * 2)];
        }
    }
}
