using System.Collections.Concurrent;
using System.Threading.Channels;
using LlmQueue.Engine;

namespace LlmQueue.Integration.Tests;

/// <summary>
/// Stand-in until the real engine is merged: random tokens at a steady pace, the engine's range checks on
/// MaxTokens and prompt length, cancel. Removed when <see cref="IntegrationEngine.UseRealEngine"/> flips.
/// </summary>
internal sealed class StandInEngine : IGenerationEngine
{
    private const int MaxRunning = 8;
    private static readonly TimeSpan _tokenInterval = TimeSpan.FromMilliseconds(5);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new();

    public ModelInfo Model { get; } = new("tiny", ContextLength: 2048, VocabSize: 256);

    public int AvailableSlots => MaxRunning - _running.Count;

    public event Action? CapacityChanged;

    public GenerationHandle Submit(GenerationRequest request)
    {
        var promptLength = request.PromptTokenIds?.Count ?? request.Prompt?.Length ?? 0;
        if (request.Sampling.MaxTokens <= 0 || request.Sampling.MaxTokens > Model.ContextLength)
        {
            throw new RequestRejectedException(RejectionReason.InvalidRequest, $"sampling.maxTokens must be 1-{Model.ContextLength}, got {request.Sampling.MaxTokens}.");
        }

        if (promptLength >= Model.ContextLength)
        {
            throw new RequestRejectedException(RejectionReason.PromptTooLong, $"prompt has {promptLength} tokens; the context holds {Model.ContextLength}.");
        }

        var cancellation = new CancellationTokenSource();
        _running[request.RequestId] = cancellation;
        CapacityChanged?.Invoke();
        var deltas = Channel.CreateUnbounded<GenerationDelta>();
        var completion = GenerateAsync(request, deltas.Writer, cancellation.Token);
        return new GenerationHandle(request.RequestId, deltas.Reader, completion);
    }

    public bool Cancel(string requestId)
    {
        if (!_running.TryGetValue(requestId, out var cancellation))
        {
            return false;
        }

        cancellation.Cancel();
        return true;
    }

    public EngineStats GetStats() => new() { Running = _running.Count };

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<GenerationResult> GenerateAsync(GenerationRequest request, ChannelWriter<GenerationDelta> deltas, CancellationToken cancellationToken)
    {
        var tokens = new List<int>();
        var reason = FinishReason.Length;
        try
        {
            while (tokens.Count < request.Sampling.MaxTokens)
            {
                await Task.Delay(_tokenInterval, cancellationToken);
                var token = Random.Shared.Next('a', 'z' + 1);
                tokens.Add(token);
                await deltas.WriteAsync(new GenerationDelta([token], ((char)token).ToString()), CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
            reason = FinishReason.Cancelled;
        }
        finally
        {
            deltas.TryComplete();
            _running.TryRemove(request.RequestId, out var cancellation);
            cancellation?.Dispose();
            CapacityChanged?.Invoke();
        }

        return new GenerationResult
        {
            FinishReason = reason,
            Text = string.Concat(tokens.Select(t => (char)t)),
            TokenIds = tokens,
            CompletionTokens = tokens.Count,
        };
    }
}
