using LlmQueue.Engine.Runners;
using LlmQueue.Engine.Scheduling;
using LlmQueue.Models.Tokenization;

namespace LlmQueue.Engine;

/// <summary>
/// One engine step, like vLLM's EngineCore.step: schedule, run the model (which samples), update, publish.
/// Stop checks, EOS, max tokens and detokenization stay here on the host: they need only token ids.
/// Single-threaded; <see cref="GenerationEngine"/> owns the thread and the inbox.
/// </summary>
internal sealed class EngineCore(IModelRunner runner, Scheduler scheduler, int contextLength, IReadOnlySet<int> eosTokenIds, ITokenizer tokenizer)
{
    private readonly Dictionary<string, ActiveRequest> _active = new(StringComparer.Ordinal);
    private readonly ForwardBatch _batch = new();
    private readonly List<(ActiveRequest Request, bool Samples)> _stepRequests = [];
    private readonly int _kvTypes = runner.KvLayout.TypeCount;
    private int[] _tokenScratch = new int[256];
    private int[] _tableScratch = new int[256];
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
        try
        {
            runner.Execute(_batch);
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
        _batch.Clear();
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
            sequence.Tokens.Span.Slice(sequence.ComputedTokens, chunk.TokenCount).CopyTo(_tokenScratch.AsSpan(tokenOffset));

            // Every layer type's table, back to back (they have equal lengths).
            var tablesStart = tableOffset;
            for (var type = 0; type < _kvTypes; type++)
            {
                var table = sequence.Kv.BlockTable(type);
                table.CopyTo(_tableScratch.AsSpan(tableOffset));
                tableOffset += table.Length;
            }

            var sequenceChunk = new SequenceChunk(
                _tokenScratch.AsMemory(tokenOffset, chunk.TokenCount),
                sequence.ComputedTokens,
                _tableScratch.AsMemory(tablesStart, tableOffset - tablesStart),
                chunk.SamplesToken);
            if (chunk.SamplesToken)
            {
                _batch.Add(sequenceChunk, new SamplingRow(request.Sampling, sequence.Tokens, sequence.PromptLength));
            }
            else
            {
                _batch.Add(sequenceChunk);
            }

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

            var token = _batch.Outputs.SampledTokens[row];
            var logprob = request.Sampling.WantsLogprobs ? Logprob(row, token, request.Sampling.Logprobs) : null;
            row++;
            request.Sequence.AppendToken(token);
            _generatedTokens++;
            var reason = Advance(request, token, logprob);
            if (reason is { } finish)
            {
                Finish(request, finish);
            }
        }
    }

    /// <summary>The row's logprobs from the step's outputs, each candidate with its text.</summary>
    private TokenLogprob Logprob(int row, int token, int count)
    {
        var outputs = _batch.Outputs;
        var ids = outputs.TopTokenIds(row)[..count];
        var logprobs = outputs.TopLogprobs(row)[..count];
        var top = new LogprobCandidate[count];
        for (var i = 0; i < count; i++)
        {
            top[i] = new LogprobCandidate(ids[i], TokenText(ids[i]), logprobs[i]);
        }

        return new TokenLogprob(token, TokenText(token), outputs.SampledLogprobs[row], top);
    }

    private string TokenText(int token) => tokenizer.Decode([token]);

    /// <summary>Publishes the token's text and says whether the request is done.</summary>
    private FinishReason? Advance(ActiveRequest request, int token, TokenLogprob? logprob)
    {
        var sampling = request.Request.Sampling;
        if ((!sampling.IgnoreEos && eosTokenIds.Contains(token)) || sampling.StopTokenIds.Contains(token))
        {
            // Stop tokens end the output without adding text.
            request.Emit(token, "", logprob);
            return FinishReason.Stop;
        }

        var (delta, stopped) = request.Text.Append(token);
        request.Emit(token, delta, logprob);
        if (stopped)
        {
            return FinishReason.Stop;
        }

        return request.Sequence.OutputLength >= sampling.MaxTokens || request.Sequence.Length >= contextLength
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
            (reason, error) = (FinishReason.InvalidOutput, "the generated tokens are not valid UTF-8 (sampling.invalidUtf8 is \"error\").");
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
