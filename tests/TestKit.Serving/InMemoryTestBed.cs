using Xunit;
using LlmQueue.Transport;
using LlmQueue.Transport.InMemory;
using Microsoft.Extensions.DependencyInjection;

namespace LlmQueue.TestKit.Serving;

/// <summary>The in-process broker: workers and producers of one test share <see cref="Broker"/>.</summary>
public sealed class InMemoryTestBed : ITransportTestBed
{
    public InMemoryBroker Broker { get; } = new();

    public string Name => "in-memory";

    public bool FollowsEngineCapacity => false;

    public IEnumerable<string> WorkerArguments => ["--Transport:Kind=InMemory"];

    public void ConfigureWorker(IServiceCollection services) => services.AddSingleton(Broker);

    public Task<RawProducer> ConnectProducerAsync() => Task.FromResult<RawProducer>(new Producer(Broker));

    public async Task<IReadOnlyList<DeadLetter>> TakeDeadLettersAsync(string requestQueue, int expected, TimeSpan timeout)
    {
        var queue = Broker.DeclareQueue(requestQueue + "_error");
        var taken = new List<DeadLetter>();
        using var deadline = new CancellationTokenSource(timeout);
        while (taken.Count < expected)
        {
            if (queue.TryTake(out var stored))
            {
                var headers = stored.Message.Headers;
                taken.Add(new DeadLetter(stored.Message.Body.ToArray(), headers.GetValueOrDefault(MessageHeaders.DeadLetterReason),
                    headers.GetValueOrDefault(MessageHeaders.DeadLetterDescription), stored.Message.MessageId));
                continue;
            }

            // Polling the in-process queue; the deadline bounds it, it is not a timing assertion.
            Assert.False(deadline.IsCancellationRequested, $"{taken.Count} of {expected} dead letters arrived within {timeout}; reasons so far: {string.Join(", ", taken.GroupBy(t => t.Reason).Select(g => $"{g.Key} x{g.Count()}"))}");
            await Task.Delay(10, CancellationToken.None);
        }

        return taken;
    }

    public Task<int> UnsettledAsync(string requestQueue) =>
        Task.FromResult(Broker.TryGetQueue(requestQueue, out var queue) ? queue.Unsettled : 0);

    private sealed class Producer : RawProducer
    {
        private readonly InMemoryBroker _broker;
        private readonly InMemoryClientTransport _transport;

        public Producer(InMemoryBroker broker)
        {
            _broker = broker;
            _transport = new InMemoryClientTransport(broker, "unused", "unused", "raw-replies");
            _transport.StartAsync(m => OnReplyAsync(m.Body, m.Headers.GetValueOrDefault(MessageHeaders.MessageType), m.ContentType), CancellationToken.None)
                .GetAwaiter().GetResult();
        }

        public override string ReplyQueue => _transport.ReplyAddress.Queue;

        public override Task PublishAsync(
            string queue, ReadOnlyMemory<byte> body, string? contentType = ContractCodec.JsonContentType, string? transportReplyTo = null, string? messageId = null)
        {
            _broker.DeclareQueue(queue);
            _broker.TrySend(queue, new OutboundMessage
            {
                Body = body.ToArray(), ContentType = contentType ?? "", MessageType = "", ReplyTo = transportReplyTo, MessageId = messageId,
            });
            return Task.CompletedTask;
        }

        public override Task PublishCancelAsync(string cancelTopic, string requestId)
        {
            _broker.Publish(cancelTopic, ContractCodec.Encode(new Contracts.CancelGeneration { RequestId = requestId }, WireFormat.Json));
            return Task.CompletedTask;
        }

        public override ValueTask DisposeAsync() => _transport.DisposeAsync();
    }
}
