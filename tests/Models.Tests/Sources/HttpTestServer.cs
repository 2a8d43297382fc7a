using System.Net;
using System.Net.Sockets;

namespace LlmQueue.Models.Tests.Sources;

/// <summary>An HttpListener on 127.0.0.1 and a free port, handing each request to a handler.</summary>
internal sealed class HttpTestServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<HttpListenerContext, Task> _handler;

    private HttpTestServer(HttpListener listener, Uri baseUri, Func<HttpListenerContext, Task> handler)
    {
        _listener = listener;
        _handler = handler;
        BaseUri = baseUri;
        _ = AcceptLoopAsync();
    }

    public Uri BaseUri { get; }

    public static HttpTestServer Start(Func<HttpListenerContext, Task> handler)
    {
        // The free port is found by binding port 0; another process may take it before HttpListener does, hence the retries.
        for (int attempt = 0; ; attempt++)
        {
            var baseUri = new Uri($"http://127.0.0.1:{FreePort()}/");
            var listener = new HttpListener();
            listener.Prefixes.Add(baseUri.ToString());
            try
            {
                listener.Start();
                return new HttpTestServer(listener, baseUri, handler);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    /// <summary>A loopback port with nothing listening on it.</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public void Dispose()
    {
        if (_listener.IsListening)
        {
            _listener.Stop();
        }

        _listener.Close();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            await _handler(context);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // The client went away or the server was stopped mid-response; nothing to answer.
        }
        catch (Exception)
        {
            // A bug in a test handler: drop the connection so the client fails at once instead of waiting.
            context.Response.Abort();
            throw;
        }
    }
}
