using System.Net;
using System.Net.Sockets;
using Amqp;
using Amqp.Listener;
using LlmQueue.TestKit.ServiceBus.Amqp;
using LlmQueue.TestKit.ServiceBus.Core;

namespace LlmQueue.TestKit.ServiceBus;

/// <summary>
/// An in-process Azure Service Bus stand-in for tests: an AMQP 1.0 listener on a free loopback port that the unmodified
/// Azure.Messaging.ServiceBus SDK connects to with <see cref="ConnectionString"/> (plain TCP, development-emulator mode).
/// Queues, topics with subscriptions, PeekLock and ReceiveAndDelete, lock renewal, abandon, dead-letter, defer,
/// scheduled messages, sessions; plus inspection and fault injection for tests. Test code only: it authenticates nobody.
/// </summary>
public sealed class ServiceBusTestBroker : IDisposable, IAsyncDisposable
{
    /// <summary>Application property with the reason of a dead-lettered message.</summary>
    public const string DeadLetterReasonProperty = "DeadLetterReason";

    /// <summary>Application property with the description of a dead-lettered message.</summary>
    public const string DeadLetterErrorDescriptionProperty = "DeadLetterErrorDescription";

    /// <summary>Dead-letter reason when a message ran out of deliveries.</summary>
    public const string MaxDeliveryCountExceededReason = "MaxDeliveryCountExceeded";

    /// <summary>Dead-letter reason when a message expired in an entity that dead-letters on expiry.</summary>
    public const string TtlExpiredReason = "TTLExpiredException";

    private const string LoopbackHost = "127.0.0.1";
    private const int PortAttempts = 5;
    private static readonly string[] s_saslMechanisms = ["MSSBCBS", "ANONYMOUS", "PLAIN"];

    private readonly BrokerEnvironment _env;
    private readonly EntityRegistry _registry;
    private readonly BrokerProtocolHandler _protocol;
    private readonly ContainerHost _host;
    private readonly ITimer _sweepTimer;
    private int _disposed;

    private ServiceBusTestBroker(BrokerEnvironment env, EntityRegistry registry, BrokerProtocolHandler protocol, ContainerHost host, int port)
    {
        _env = env;
        _registry = registry;
        _protocol = protocol;
        _host = host;
        Port = port;
        _sweepTimer = env.Options.TimeProvider.CreateTimer(_ => Sweep(), null, env.Options.SweepInterval, env.Options.SweepInterval);
    }

    /// <summary>The loopback TCP port the broker listens on.</summary>
    public int Port { get; }

    /// <summary>For <c>new ServiceBusClient(ConnectionString)</c>: plain AMQP to this broker (the SDK's emulator mode, no TLS).</summary>
    public string ConnectionString =>
        $"Endpoint=sb://{LoopbackHost}:{Port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true";

    /// <summary>Client connections open now.</summary>
    public int ConnectionCount => _protocol.ConnectionCount;

    /// <summary>Starts a broker on a free loopback port.</summary>
    public static ServiceBusTestBroker Start(ServiceBusTestBrokerOptions? options = null)
    {
        options ??= new ServiceBusTestBrokerOptions();
        options.Validate();
        var env = new BrokerEnvironment(options);
        var registry = new EntityRegistry(env);
        var windows = new SessionWindowGuard();
        var protocol = new BrokerProtocolHandler(windows);
        var processor = new BrokerLinkProcessor(env, registry, new ReplyRouter(), windows);
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            var host = CreateHost(port, protocol, processor);
            try
            {
                host.Open();
                return new ServiceBusTestBroker(env, registry, protocol, host, port);
            }
            catch (SocketException) when (attempt < PortAttempts)
            {
                // Another process took the port between probing and binding; try another.
                host.Close();
            }
        }
    }

    /// <summary>Creates a queue.</summary>
    public void CreateQueue(string name, ServiceBusTestEntityOptions? options = null)
    {
        lock (_env.Gate)
        {
            _registry.AddQueue(name, options ?? new ServiceBusTestEntityOptions());
        }
    }

    /// <summary>Creates a topic; messages sent to it are copied to each of its subscriptions.</summary>
    public void CreateTopic(string name)
    {
        lock (_env.Gate)
        {
            _registry.AddTopic(name);
        }
    }

    /// <summary>Creates a subscription, received from at <c>topic/Subscriptions/name</c>.</summary>
    public void CreateSubscription(string topicName, string subscriptionName, ServiceBusTestEntityOptions? options = null)
    {
        lock (_env.Gate)
        {
            _registry.AddSubscription(topicName, subscriptionName, options ?? new ServiceBusTestEntityOptions());
        }
    }

    /// <summary>Deletes a subscription (as auto-delete-on-idle would); receivers still attached get nothing more.</summary>
    public bool DeleteSubscription(string topicName, string subscriptionName)
    {
        lock (_env.Gate)
        {
            return _registry.RemoveSubscription(topicName, subscriptionName);
        }
    }

    /// <summary>Counts of a queue, subscription or dead-letter path (<c>q</c>, <c>t/Subscriptions/s</c>, <c>q/$DeadLetterQueue</c>).</summary>
    public ServiceBusTestEntityCounts GetCounts(string entityPath)
    {
        lock (_env.Gate)
        {
            return Store(entityPath).Counts();
        }
    }

    /// <summary>Copies of every message an entity holds now, in sequence order, whatever their state.</summary>
    public IReadOnlyList<ServiceBusTestMessage> GetMessages(string entityPath)
    {
        List<StoredMessage> messages;
        lock (_env.Gate)
        {
            messages = [.. Store(entityPath).Messages()];
        }

        return [.. messages.Select(MessageCodec.ToSnapshot)];
    }

    /// <summary>The dead-letter sub-queue of a queue or subscription, with reasons and descriptions.</summary>
    public IReadOnlyList<ServiceBusTestMessage> GetDeadLetters(string entityPath) =>
        GetMessages($"{entityPath}/{EntityRegistry.DeadLetterSegment}");

    /// <summary>The event log (all entities, or one path exactly), oldest first.</summary>
    public IReadOnlyList<ServiceBusTestEvent> GetEvents(string? entityPath = null)
    {
        // Under the gate: an operation the client has already seen the effect of has logged all its events.
        lock (_env.Gate)
        {
            return _env.Events.Snapshot(entityPath is null ? null : e => e.EntityPath.Equals(entityPath, StringComparison.OrdinalIgnoreCase));
        }
    }

    /// <summary>The first event (past or future) matching the predicate; TimeoutException if none comes in time.</summary>
    public Task<ServiceBusTestEvent> WaitForEventAsync(Func<ServiceBusTestEvent, bool> match, TimeSpan timeout) =>
        _env.Events.FirstAsync(match).WaitAsync(timeout);

    /// <summary>Message lock renewals granted on an entity.</summary>
    public int GetLockRenewalCount(string entityPath)
    {
        lock (_env.Gate)
        {
            return Store(entityPath).LockRenewals;
        }
    }

    /// <summary>Session lock renewals granted on an entity.</summary>
    public int GetSessionLockRenewalCount(string entityPath)
    {
        lock (_env.Gate)
        {
            return Store(entityPath).SessionLockRenewals;
        }
    }

    /// <summary>Fault injection: closes every client connection (amqp:connection:forced). Returns how many were open.</summary>
    public int DropConnections() => _protocol.DropConnections("Connection dropped by the test broker.");

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _sweepTimer.Dispose();
        _host.Close();
        _env.Events.CancelWaiters();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private MessageStore Store(string entityPath) =>
        _registry.FindStore(entityPath?.Trim('/') ?? string.Empty)
        ?? throw new ArgumentException($"No queue, subscription or dead-letter sub-queue at '{entityPath}'.", nameof(entityPath));

    private void Sweep()
    {
        try
        {
            lock (_env.Gate)
            {
                var now = _env.UtcNow;
                foreach (var store in _registry.Stores().ToList())
                {
                    store.Sweep(now);
                }
            }
        }
#pragma warning disable CA1031 // A timer callback must not crash the test process; the fault is logged.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _env.Log($"sweep failed: {exception}");
        }
    }

    private static ContainerHost CreateHost(int port, BrokerProtocolHandler protocol, BrokerLinkProcessor processor)
    {
        var host = new ContainerHost(new Address($"amqp://{LoopbackHost}:{port}"));
        var listener = host.Listeners[0];
        foreach (var mechanism in s_saslMechanisms)
        {
            listener.SASL.EnableMechanism(new global::Amqp.Types.Symbol(mechanism), new AcceptAllSaslProfile(mechanism));
        }

        listener.HandlerFactory = _ => protocol;
        // No node is registered with the host: every attach goes to the link processor. Resolving the address up
        // front also spares ContainerHost its cast of the target, which fails for a transaction coordinator.
        host.AddressResolver = static (_, _) => string.Empty;
        host.RegisterLinkProcessor(processor);
        return host;
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
