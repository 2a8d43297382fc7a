using System.Collections.Concurrent;
using System.Threading.Channels;
using LlmQueue.Engine;
using LlmQueue.Engine.Runners;

namespace LlmQueue.TestKit.Serving;

/// <summary>
/// Test double of the engine: records submissions, lets the test drive each generation (or plays a fixed
/// script), and exposes the capacity signal.
/// </summary>
public sealed class ScriptedEngine : IGenerationEngine
{
    private readonly Channel<ScriptedGeneration> _submitted = Channel.CreateUnbounded<ScriptedGeneration>();
    private readonly ConcurrentDictionary<string, ScriptedGeneration> _running = new();
    private int _slots = 4;
    private int _submitCalls;
    private TaskCompletionSource _slotsRead = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ModelInfo Model { get; } = new("scripted", ContextLength: 64, VocabSize: 100);

    /// <summary>When set, Submit plays these deltas and finishes with Length; otherwise the test drives it.</summary>
    public IReadOnlyList<string>? AutoDeltas { get; set; }

    /// <summary>When set, Submit throws what it returns (engine-side validation, or an unexpected fault).</summary>
    public Func<GenerationRequest, Exception?>? Reject { get; set; }

    public int SubmitCalls => Volatile.Read(ref _submitCalls);

    public ConcurrentQueue<string> CancelCalls { get; } = new();

    public event Action? CapacityChanged;

    /// <summary>Like the real engine: the slots set minus the generations submitted and not finished.</summary>
    public int AvailableSlots
    {
        get
        {
            _slotsRead.TrySetResult();
            return Math.Max(0, Volatile.Read(ref _slots) - _running.Count);
        }
    }

    /// <summary>Completes the next time someone asks for AvailableSlots (the admission gate checking capacity).</summary>
    public Task NextSlotsReadAsync()
    {
        _slotsRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _slotsRead.Task;
    }

    /// <summary>How many generations may run at once.</summary>
    public void SetAvailableSlots(int slots)
    {
        Volatile.Write(ref _slots, slots);
        CapacityChanged?.Invoke();
    }

    public GenerationHandle Submit(GenerationRequest request)
    {
        Interlocked.Increment(ref _submitCalls);
        if (Reject?.Invoke(request) is { } rejection)
        {
            throw rejection;
        }

        var generation = new ScriptedGeneration(request, OnFinished);
        // Like the real engine: one generation per request id at a time.
        if (!_running.TryAdd(request.RequestId, generation))
        {
            throw new RequestRejectedException(RejectionReason.InvalidRequest, $"requestId '{request.RequestId}' is already running on this worker.");
        }

        if (AutoDeltas is { } deltas)
        {
            foreach (var text in deltas)
            {
                generation.Emit(text);
            }

            generation.Finish(FinishReason.Length);
        }

        _submitted.Writer.TryWrite(generation);
        return generation.Handle;
    }

    public async Task<ScriptedGeneration> NextSubmittedAsync() =>
        await _submitted.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    public bool Cancel(string requestId)
    {
        CancelCalls.Enqueue(requestId);
        return _running.TryGetValue(requestId, out var generation) && generation.Finish(FinishReason.Cancelled);
    }

    private void OnFinished(ScriptedGeneration generation)
    {
        _running.TryRemove(new KeyValuePair<string, ScriptedGeneration>(generation.Request.RequestId, generation));
        CapacityChanged?.Invoke();
    }

    /// <summary>What <see cref="GetStats"/> answers (the engine's step counter and batch, as the test sets them).</summary>
    public EngineStats Stats { get; set; } = new();

    public EngineStats GetStats() => Stats;

    public IDeviceMemoryReporter? DeviceMemory => null;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
