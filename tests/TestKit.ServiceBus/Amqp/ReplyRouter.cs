using System.Collections.Concurrent;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>Response links by their target address, which requests name as reply-to.</summary>
internal sealed class ReplyRouter
{
    private readonly ConcurrentDictionary<string, ReplyLinkEndpoint> _links = new(StringComparer.Ordinal);

    public void Register(string address, ReplyLinkEndpoint endpoint) => _links[address] = endpoint;

    public void Unregister(string address, ReplyLinkEndpoint endpoint) => _links.TryRemove(new KeyValuePair<string, ReplyLinkEndpoint>(address, endpoint));

    public ReplyLinkEndpoint? Find(string? address) => address is null ? null : _links.GetValueOrDefault(address);
}
