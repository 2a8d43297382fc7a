using LlmQueue.Serving.Admission;
using LlmQueue.Serving.Options;
using LlmQueue.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Hosting;

/// <summary>
/// Runs the transport over the serving core, and drains on stop: readiness goes false, receiving stops, in-flight
/// requests get Transport:DrainTimeoutSeconds to finish, the rest are cancelled and returned to the broker.
/// </summary>
internal sealed partial class TransportHost(
    IWorkerTransport transport, RequestServer server, EngineCapacity capacity, WorkerState state, IOptions<TransportOptions> options, ILogger<TransportHost> logger)
    : IHostedService
{
    /// <summary>After the drain timeout, how long cancelled requests get to hand their deliveries back.</summary>
    private static readonly TimeSpan s_returnTimeout = TimeSpan.FromSeconds(15);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await server.SubscribeToRelayedCancelsAsync().ConfigureAwait(false);
        await transport.StartAsync(server, capacity, cancellationToken).ConfigureAwait(false);
        LogStarted(logger, transport.Description);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        state.MarkDraining();
        await transport.StopReceivingAsync(cancellationToken).ConfigureAwait(false);
        var drain = TimeSpan.FromSeconds(options.Value.DrainTimeoutSeconds);
        if (server.InFlight > 0)
        {
            LogDraining(logger, server.InFlight, drain.TotalSeconds);
        }

        if (!await CompletesWithinAsync(server.WhenIdleAsync(), drain).ConfigureAwait(false))
        {
            LogReturning(logger, server.InFlight);
            server.AbortInFlight();
            await CompletesWithinAsync(server.WhenIdleAsync(), s_returnTimeout).ConfigureAwait(false);
        }

        await transport.DisposeAsync().ConfigureAwait(false);
        LogStopped(logger);
    }

    private static async Task<bool> CompletesWithinAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Receiving requests: {Transport}.")]
    private static partial void LogStarted(ILogger logger, string transport);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: no new requests; {InFlight} in flight get up to {Seconds} s to finish.")]
    private static partial void LogDraining(ILogger logger, int inFlight, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drain timeout: cancelling {InFlight} unfinished requests and returning them to the broker.")]
    private static partial void LogReturning(ILogger logger, int inFlight);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped receiving; transport closed.")]
    private static partial void LogStopped(ILogger logger);
}
