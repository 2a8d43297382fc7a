using System.Collections.Concurrent;
using LlmQueue.Contracts;

namespace LlmQueue.Client.Tests;

/// <summary>What <see cref="FakeResponder"/> answers, and what it and the cancel listener saw.</summary>
internal sealed class ResponderScript(Func<GenerateRequest, IEnumerable<object>> replies)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _cancels = new();

    public Func<GenerateRequest, IEnumerable<object>> Replies { get; } = replies;

    public ConcurrentQueue<GenerateRequest> Received { get; } = new();

    public void RecordCancel(string requestId) => CancelSignal(requestId).TrySetResult();

    public Task CancelPublishedAsync(string requestId) => CancelSignal(requestId).Task;

    private TaskCompletionSource CancelSignal(string requestId) =>
        _cancels.GetOrAdd(requestId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
