using Amqp;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

internal static class LinkLiveness
{
    /// <summary>
    /// True once the link, its session or its connection is closing. Frames still arriving on a connection the broker
    /// has closed (a dropped connection) are ignored, as a real broker would no longer read them.
    /// </summary>
    public static bool IsGone(this Link link) => link.IsClosed || link.Session.IsClosed || link.Session.Connection.IsClosed;
}
