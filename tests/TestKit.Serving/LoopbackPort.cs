using System.Net;
using System.Net.Sockets;

namespace LlmQueue.TestKit.Serving;

public static class LoopbackPort
{
    /// <summary>A loopback port nobody listens on now (the OS's pick; free until someone takes it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
