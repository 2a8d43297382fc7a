using Microsoft.Extensions.DependencyInjection;

namespace LlmQueue.TestKit.Serving;

/// <summary>One transport as the conformance suite drives it: how to point a worker at it, a raw producer, and what the broker holds.</summary>
public interface ITransportTestBed
{
    string Name { get; }

    /// <summary>Worker settings selecting this transport and its connection.</summary>
    IEnumerable<string> WorkerArguments { get; }

    /// <summary>Registrations a worker on this bed needs before it is built (e.g. the shared in-process broker).</summary>
    void ConfigureWorker(IServiceCollection services);

    Task<RawProducer> ConnectProducerAsync();

    /// <summary>Waits until <paramref name="expected"/> messages are in the request queue's dead-letter queue, and takes them.</summary>
    Task<IReadOnlyList<DeadLetter>> TakeDeadLettersAsync(string requestQueue, int expected, TimeSpan timeout);

    /// <summary>
    /// True when the worker takes a delivery only while the engine can start it (the transport follows the engine's free
    /// capacity); false when it holds up to the running-request limit and the admission gate keeps the rest waiting.
    /// </summary>
    bool FollowsEngineCapacity { get; }

    /// <summary>Request deliveries handed to a worker and not settled yet.</summary>
    Task<int> UnsettledAsync(string requestQueue);
}
