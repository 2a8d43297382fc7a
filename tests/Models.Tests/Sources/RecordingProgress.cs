using System.Collections.Concurrent;
using LlmQueue.Models.Sources;

namespace LlmQueue.Models.Tests.Sources;

/// <summary>Keeps every report, synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
internal sealed class RecordingProgress : IProgress<DownloadProgress>
{
    private readonly ConcurrentQueue<DownloadProgress> _reports = new();

    public IReadOnlyList<DownloadProgress> Reports => [.. _reports];

    public void Report(DownloadProgress value) => _reports.Enqueue(value);
}
