using System.Text.RegularExpressions;

namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>The broker's queues and topics, and the lookup of entity paths (queue, subscription, dead-letter sub-queue).</summary>
internal sealed partial class EntityRegistry(BrokerEnvironment env)
{
    public const string DeadLetterSegment = "$DeadLetterQueue";
    public const string SubscriptionsSegment = "Subscriptions";

    private readonly Dictionary<string, MessageStore> _queues = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, TopicEntity> _topics = new(StringComparer.OrdinalIgnoreCase);

    public MessageStore AddQueue(string name, ServiceBusTestEntityOptions options)
    {
        EnsureNewName(name);
        options.Validate(name);
        var queue = new MessageStore(env, name, options);
        _queues.Add(name, queue);
        return queue;
    }

    public void AddTopic(string name)
    {
        EnsureNewName(name);
        _topics.Add(name, new TopicEntity(name));
    }

    public void AddSubscription(string topicName, string subscriptionName, ServiceBusTestEntityOptions options)
    {
        var topic = _topics.GetValueOrDefault(topicName)
            ?? throw new ArgumentException($"Topic '{topicName}' does not exist.", nameof(topicName));
        EnsureValidName(subscriptionName);
        var path = $"{topic.Path}/{SubscriptionsSegment}/{subscriptionName}";
        options.Validate(path);
        if (!topic.TryAddSubscription(subscriptionName, new MessageStore(env, path, options)))
        {
            throw new ArgumentException($"Subscription '{path}' already exists.", nameof(subscriptionName));
        }
    }

    public bool RemoveSubscription(string topicName, string subscriptionName) =>
        _topics.GetValueOrDefault(topicName)?.RemoveSubscription(subscriptionName) ?? false;

    /// <summary>Where a sender attached to this path sends: a queue or a topic.</summary>
    public IEnqueueTarget? FindSendTarget(string path) =>
        (IEnqueueTarget?)_queues.GetValueOrDefault(path) ?? _topics.GetValueOrDefault(path);

    /// <summary>What a receiver attached to this path reads: a queue, a subscription, or either's dead-letter sub-queue.</summary>
    public MessageStore? FindStore(string path)
    {
        var segments = path.Split('/');
        var deadLetter = segments.Length > 1 && segments[^1].Equals(DeadLetterSegment, StringComparison.OrdinalIgnoreCase);
        var entitySegments = deadLetter ? segments[..^1] : segments;
        var store = entitySegments switch
        {
            [var queue] => _queues.GetValueOrDefault(queue),
            [var topic, var subscriptions, var subscription] when subscriptions.Equals(SubscriptionsSegment, StringComparison.OrdinalIgnoreCase)
                => _topics.GetValueOrDefault(topic)?.FindSubscription(subscription),
            _ => null,
        };
        return deadLetter ? store?.DeadLetterQueue : store;
    }

    /// <summary>Every store, including subscriptions (each store sweeps its own dead-letter sub-queue).</summary>
    public IEnumerable<MessageStore> Stores() => _queues.Values.Concat(_topics.Values.SelectMany(t => t.Subscriptions));

    private void EnsureNewName(string name)
    {
        EnsureValidName(name);
        if (_queues.ContainsKey(name) || _topics.ContainsKey(name))
        {
            throw new ArgumentException($"An entity named '{name}' already exists.", nameof(name));
        }
    }

    private static void EnsureValidName(string name)
    {
        if (name is null || !ValidName().IsMatch(name))
        {
            throw new ArgumentException($"Entity name '{name}' is not valid: use letters, digits, '.', '-' and '_' (at most 260).", nameof(name));
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._\-]{0,259}$")]
    private static partial Regex ValidName();
}
