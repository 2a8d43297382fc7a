namespace LlmQueue.Transport;

/// <summary>The serving core as a transport sees it.</summary>
public interface IDeliveryHandler
{
    /// <summary>Serves one request delivery; the transport settles it with the result. Never throws.</summary>
    Task<Settlement> HandleRequestAsync(InboundMessage message);

    /// <summary>A delivery from the callback retry queue (WorkerTransportSettings.CallbackQueue). Never throws.</summary>
    Task<Settlement> HandleCallbackAsync(InboundMessage message);

    /// <summary>A CancelGeneration fanned out to this replica. Never throws.</summary>
    void HandleCancel(InboundMessage message);
}
