using System.Collections.Concurrent;
using System.Net;
using LlmQueue.TestKit;

namespace LlmQueue.Serving.Tests.Callbacks;

/// <summary>A callback receiver on 127.0.0.1 answering with the scripted status codes in turn (the last one repeats).</summary>
public sealed class LoopbackReceiver : IDisposable
{
    private readonly int[] _statuses;
    private readonly TimeProvider _time;
    private readonly HttpTestServer _server;
    private int _served;

    private LoopbackReceiver(int[] statuses, TimeProvider time)
    {
        _statuses = statuses;
        _time = time;
        _server = HttpTestServer.Start(AnswerAsync);
    }

    public int Port => _server.BaseUri.Port;

    public string Url => new Uri(_server.BaseUri, "hook").ToString();

    public ConcurrentQueue<ReceivedCallback> Received { get; } = new();

    public static LoopbackReceiver Start(TimeProvider time, params int[] statuses) => new(statuses, time);

    public void Dispose() => _server.Dispose();

    private async Task AnswerAsync(HttpListenerContext context)
    {
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body);
        Received.Enqueue(new ReceivedCallback(
            _time.GetUtcNow(),
            context.Request.Headers["webhook-id"],
            context.Request.Headers["webhook-timestamp"],
            context.Request.Headers["webhook-signature"],
            context.Request.Headers["llmq-event"],
            body.ToArray()));
        var index = Math.Min(Interlocked.Increment(ref _served) - 1, _statuses.Length - 1);
        context.Response.StatusCode = _statuses[index];
    }
}

/// <summary>One POST the receiver saw, stamped with the test's clock.</summary>
public sealed record ReceivedCallback(DateTimeOffset At, string? Id, string? Timestamp, string? Signature, string? Event, byte[] Body);
