using LlmQueue.Engine.Runners;

namespace LlmQueue.Engine;

/// <summary>
/// The engine as the host sees it: submit, stream, cancel, and a capacity signal the host uses to
/// decide how many messages to take from the broker. No knowledge of queues.
/// </summary>
public interface IGenerationEngine : IAsyncDisposable
{
    ModelInfo Model { get; }

    /// <summary>How many more requests the engine can start soon (free sequence slots and KV blocks).</summary>
    int AvailableSlots { get; }

    /// <summary>Raised (on the engine thread) whenever <see cref="AvailableSlots"/> may have changed.</summary>
    event Action? CapacityChanged;

    /// <summary>Validates and enqueues. Throws <see cref="RequestRejectedException"/> for bad input.</summary>
    GenerationHandle Submit(GenerationRequest request);

    /// <summary>Stops a running or waiting request (FinishReason cancelled). False if unknown here.</summary>
    bool Cancel(string requestId);

    EngineStats GetStats();

    /// <summary>The runner's accelerator memory, when it has any (a GPU runner); null on the CPU.</summary>
    IDeviceMemoryReporter? DeviceMemory { get; }
}
