using LlmQueue.Contracts;

namespace LlmQueue.Client;

/// <summary>
/// Turns the replies of one request, as the broker delivers them (possibly duplicated, reordered or
/// from a restarted attempt), into the ordered event sequence a caller expects. Pure logic, one reader.
/// </summary>
internal sealed class ChunkSequencer
{
    private readonly bool _expectChunks;
    private readonly SortedDictionary<int, TokenChunk> _early = [];
    private int _nextSeq;
    private int _deliveredTokens;
    private GenerateCompleted? _completion;

    /// <param name="expectChunks">
    /// True for streamed requests: the completion is held back until every chunk it covers arrived,
    /// because the broker may deliver the completion before the last chunks.
    /// </param>
    public ChunkSequencer(bool expectChunks) => _expectChunks = expectChunks;

    /// <summary>The attempt being followed; -1 before the first reply.</summary>
    public int Attempt { get; private set; } = -1;

    public bool IsFinished { get; private set; }

    public void Accept(TokenChunk chunk, List<GenerationEvent> output)
    {
        if (IsFinished || !FollowAttempt(chunk.Attempt, output) || chunk.Seq < _nextSeq)
        {
            return;
        }

        if (chunk.Seq > _nextSeq)
        {
            _early.TryAdd(chunk.Seq, chunk);
            return;
        }

        Emit(chunk, output);
        while (_early.Remove(_nextSeq, out var next))
        {
            Emit(next, output);
        }

        TryFinish(output);
    }

    public void Accept(GenerateCompleted completion, List<GenerationEvent> output)
    {
        if (IsFinished || !FollowAttempt(completion.Attempt, output))
        {
            return;
        }

        _completion = completion;
        TryFinish(output);
    }

    /// <summary>True when a failure for this attempt must end the request (older attempts are stale).</summary>
    public bool IsCurrent(GenerateFailed failure) => !IsFinished && failure.Attempt >= Attempt;

    /// <returns>False when the reply belongs to an older attempt and must be dropped.</returns>
    private bool FollowAttempt(int attempt, List<GenerationEvent> output)
    {
        if (attempt < Attempt)
        {
            return false;
        }

        if (attempt > Attempt)
        {
            if (Attempt >= 0)
            {
                output.Add(new AttemptRestarted(attempt));
            }

            Attempt = attempt;
            _nextSeq = 0;
            _deliveredTokens = 0;
            _early.Clear();
            _completion = null;
        }

        return true;
    }

    private void Emit(TokenChunk chunk, List<GenerationEvent> output)
    {
        output.Add(new ChunkReceived(chunk));
        _nextSeq++;
        _deliveredTokens += chunk.TokenIds.Count;
    }

    private void TryFinish(List<GenerationEvent> output)
    {
        if (_completion is null)
        {
            return;
        }

        bool allChunksIn = !_expectChunks || (_early.Count == 0 && _deliveredTokens >= _completion.TokenIds.Count);
        if (allChunksIn)
        {
            output.Add(new GenerationCompleted(_completion));
            IsFinished = true;
        }
    }
}
