using System.Net;
using System.Net.Sockets;

namespace LlmQueue.Serving.Callbacks;

/// <summary>
/// The HTTP client of callbacks. The address check runs where the socket connects, after DNS resolution, for every
/// connection (so also for each redirect hop and against DNS rebinding), not on the URL's text.
/// </summary>
public static class CallbackHttp
{
    public static HttpClient CreateClient(CallbackOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = options.FollowRedirects,
            MaxAutomaticRedirections = 5,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(options.TimeoutSeconds),
            UseProxy = false,
            ConnectCallback = (context, cancellationToken) => ConnectAsync(context, options.AllowPrivateNetworks, cancellationToken),
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(options.TimeoutSeconds) };
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        var allowed = allowPrivate ? addresses : [.. addresses.Where(a => NetworkGuard.Refusal(a) is null)];
        if (allowed.Length == 0)
        {
            var reason = addresses.Length == 0 ? "no address" : NetworkGuard.Refusal(addresses[0]);
            throw new CallbackRefusedException($"{host} resolves to {reason}; callbacks to it are not allowed (Callbacks:AllowPrivateNetworks).");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
