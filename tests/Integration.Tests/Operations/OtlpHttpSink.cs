using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace LlmQueue.Integration.Tests.Operations;

/// <summary>
/// A stand-in OTLP/HTTP collector on loopback: accepts every POST (200) and keeps its path and body. The bodies are
/// protobuf, whose strings are stored as plain UTF-8, so a test can look for a name or a tag value in them.
/// </summary>
internal sealed class OtlpHttpSink : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<(string Path, byte[] Body)> _received = new();
    private readonly Task _serving;

    public OtlpHttpSink(int port)
    {
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Endpoint { get; }

    /// <summary>Waits for a POST to <paramref name="path"/> whose body holds every one of <paramref name="texts"/>.</summary>
    public async Task WaitForAsync(string path, TimeSpan timeout, params string[] texts)
    {
        var wanted = texts.Select(Encoding.UTF8.GetBytes).ToArray();
        using var deadline = new CancellationTokenSource(timeout);
        while (!_received.Any(post => post.Path == path && wanted.All(text => post.Body.AsSpan().IndexOf(text) >= 0)))
        {
            Assert.False(deadline.IsCancellationRequested,
                $"no POST to {path} holding {string.Join(", ", texts)}; received: {string.Join(", ", _received.Select(p => $"{p.Path} ({p.Body.Length} B)"))}");
            await Task.Delay(50, CancellationToken.None);
        }
    }

    public void Dispose()
    {
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
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
            _received.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }
}
