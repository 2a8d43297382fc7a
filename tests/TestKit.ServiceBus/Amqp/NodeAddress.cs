namespace LlmQueue.TestKit.ServiceBus.Amqp;

internal enum NodeKind
{
    /// <summary>A queue, topic, subscription or dead-letter sub-queue.</summary>
    Entity,
    /// <summary>An entity's request-response node, <c>&lt;entity&gt;/$management</c>.</summary>
    Management,
    /// <summary>The claims-based security node, <c>$cbs</c>.</summary>
    Cbs,
}

/// <summary>
/// A link address reduced to the node it names. The SDK writes entity addresses as absolute paths ("/queue"),
/// management and CBS addresses as relative ones; full URIs are accepted too.
/// </summary>
internal readonly record struct NodeAddress(NodeKind Kind, string EntityPath)
{
    private const string ManagementSuffix = "/" + ServiceBusNames.ManagementNode;

    public static NodeAddress? Parse(string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            return null;
        }

        var path = address.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(address, UriKind.Absolute, out var uri)
            ? Uri.UnescapeDataString(uri.AbsolutePath)
            : address;
        path = path.Trim('/');
        if (path.Equals(ServiceBusNames.CbsNode, StringComparison.OrdinalIgnoreCase))
        {
            return new NodeAddress(NodeKind.Cbs, string.Empty);
        }

        if (path.EndsWith(ManagementSuffix, StringComparison.OrdinalIgnoreCase))
        {
            var entity = path[..^ManagementSuffix.Length].Trim('/');
            return entity.Length == 0 ? null : new NodeAddress(NodeKind.Management, entity);
        }

        return path.Length == 0 || path.StartsWith('$') ? null : new NodeAddress(NodeKind.Entity, path);
    }
}
