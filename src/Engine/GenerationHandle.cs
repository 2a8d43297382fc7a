using System.Threading.Channels;

namespace LlmQueue.Engine;

/// <summary>
/// Output of one submitted request: deltas as they are produced, then the result. Completion never
/// faults for a request that was accepted; engine failures complete it with <see cref="FinishReason.Error"/>.
/// </summary>
public sealed class GenerationHandle(string requestId, ChannelReader<GenerationDelta> deltas, Task<GenerationResult> completion)
{
    public string RequestId { get; } = requestId;

    public ChannelReader<GenerationDelta> Deltas { get; } = deltas;

    public Task<GenerationResult> Completion { get; } = completion;
}
