using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.Worker.Admission;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Worker.Messaging;

/// <summary>Every replica receives every cancel (fan-out); only the one holding or running the request finds it.</summary>
public sealed partial class CancelGenerationConsumer(IGenerationEngine engine, HeldRequests held, ILogger<CancelGenerationConsumer> logger)
    : IConsumer<CancelGeneration>
{
    public Task Consume(ConsumeContext<CancelGeneration> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var requestId = context.Message.RequestId;
        // Flag a held request first: if its consumer submits meanwhile, it sees the flag (see GenerateRequestConsumer).
        if (!string.IsNullOrEmpty(requestId) && (held.Cancel(requestId) | engine.Cancel(requestId)))
        {
            LogCancelled(logger, requestId);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancelled request {RequestId}.")]
    private static partial void LogCancelled(ILogger logger, string requestId);
}
