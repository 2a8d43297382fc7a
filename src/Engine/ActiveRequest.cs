using System.Diagnostics;
using System.Threading.Channels;
using LlmQueue.Engine.Runners;
using LlmQueue.Engine.Scheduling;
using LlmQueue.Models.Tokenization;

namespace LlmQueue.Engine;

/// <summary>Everything the engine loop keeps for one accepted request besides its scheduling state.</summary>
internal sealed class ActiveRequest
{
    private readonly Channel<GenerationDelta> _deltas = Channel.CreateUnbounded<GenerationDelta>(
        new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });

    private readonly TaskCompletionSource<GenerationResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<int> _outputTokens = [];
    private readonly List<TokenLogprob>? _logprobs;
    private readonly Action<string> _onFinished;
    private long _scheduledAt;
    private long _firstTokenAt;

    /// <param name="onFinished">Runs before the result is published, so whoever awaits it sees the engine without the request.</param>
    public ActiveRequest(GenerationRequest request, EngineSequence sequence, SamplingParameters sampling, OutputTextStream text, Action<string> onFinished)
    {
        _onFinished = onFinished;
        Request = request;
        Sequence = sequence;
        Sampling = sampling;
        Text = text;
        _logprobs = sampling.WantsLogprobs ? [] : null;
        Handle = new GenerationHandle(request.RequestId, _deltas.Reader, _completion.Task);
    }

    public GenerationRequest Request { get; }

    public EngineSequence Sequence { get; }

    /// <summary>What the runner samples this request's rows with (the seed already chosen).</summary>
    public SamplingParameters Sampling { get; }

    public OutputTextStream Text { get; }

    public GenerationHandle Handle { get; }

    public bool IsCompleted => _completion.Task.IsCompleted;

    public void MarkScheduled()
    {
        if (_scheduledAt == 0)
        {
            _scheduledAt = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Records a generated token (already appended to the sequence) and publishes its text (and logprobs, when asked).</summary>
    public void Emit(int token, string textDelta, TokenLogprob? logprob)
    {
        if (_firstTokenAt == 0)
        {
            _firstTokenAt = Stopwatch.GetTimestamp();
        }

        _outputTokens.Add(token);
        if (logprob is not null)
        {
            _logprobs?.Add(logprob);
        }

        _deltas.Writer.TryWrite(new GenerationDelta([token], textDelta, logprob is null ? null : [logprob]));
    }

    /// <summary>Publishes text released without a new token (held-back text flushed at the end).</summary>
    public void EmitText(string textDelta)
    {
        if (textDelta.Length > 0)
        {
            _deltas.Writer.TryWrite(new GenerationDelta([], textDelta));
        }
    }

    public void Complete(FinishReason reason, string? error = null)
    {
        var now = Stopwatch.GetTimestamp();
        var received = Request.ReceivedTimestamp;
        var decodeSeconds = _firstTokenAt == 0 ? 0 : Stopwatch.GetElapsedTime(_firstTokenAt, now).TotalSeconds;
        _deltas.Writer.TryComplete();
        _onFinished(Request.RequestId);
        _completion.TrySetResult(new GenerationResult
        {
            FinishReason = reason,
            Text = Text.Text,
            TokenIds = _outputTokens.ToArray(),
            Logprobs = _logprobs?.ToArray(),
            PromptTokens = Sequence.PromptLength,
            CachedPromptTokens = Sequence.CachedPromptTokens ?? 0,
            CompletionTokens = _outputTokens.Count,
            QueuedMs = _scheduledAt == 0 ? Stopwatch.GetElapsedTime(received, now).TotalMilliseconds
                : Stopwatch.GetElapsedTime(received, _scheduledAt).TotalMilliseconds,
            TtftMs = _firstTokenAt == 0 ? 0 : Stopwatch.GetElapsedTime(received, _firstTokenAt).TotalMilliseconds,
            DecodeTokensPerSec = _outputTokens.Count > 1 && decodeSeconds > 0 ? (_outputTokens.Count - 1) / decodeSeconds : 0,
            ErrorMessage = error,
        });
    }
}
