using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace LlmQueue.Serving.Tests.Callbacks;

/// <summary>A callback receiver on 127.0.0.1 answering with the scripted status codes in turn (the last one repeats).</summary>
public sealed class LoopbackReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly int[] _statuses;
    private readonly TimeProvider _time;
    private readonly Task _loop;
    private int _served;

    private LoopbackReceiver(int port, int[] statuses, TimeProvider time)
    {
        Port = port;
        _statuses = statuses;
        _time = time;
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/hook";

    public ConcurrentQueue<ReceivedCallback> Received { get; } = new();

    public static LoopbackReceiver Start(TimeProvider time, params int[] statuses)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new LoopbackReceiver(port, statuses, time);
    }

    public void Dispose()
    {
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener was closed under a pending GetContext.
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

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
            context.Response.Close();
        }
    }
}

/// <summary>One POST the receiver saw, stamped with the test's clock.</summary>
public sealed record ReceivedCallback(DateTimeOffset At, string? Id, string? Timestamp, string? Signature, string? Event, byte[] Body);
