using System.Runtime.CompilerServices;
using LlmQueue.Contracts;
using MassTransit;

namespace LlmQueue.Client;

/// <summary>
/// Producer side of the queue: sends <see cref="GenerateRequest"/> to the workers and reads the replies
/// from one private reply queue owned by this instance. Thread-safe; one instance serves many
/// concurrent requests. Works over any MassTransit bus, including one shared with an in-process worker.
/// </summary>
public sealed class InferenceClient : IAsyncDisposable
{
    private readonly IBus _bus;
    private readonly Uri _requestAddress;
    private readonly ReplyRouter _router = new();
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private HostReceiveEndpointHandle? _replyEndpoint;
    private Uri? _replyAddress;
    private bool _disposed;

    public InferenceClient(IBus bus, InferenceClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.RequestQueue, "InferenceClientOptions.RequestQueue");
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ReplyQueuePrefix, "InferenceClientOptions.ReplyQueuePrefix");
        _bus = bus;
        _requestAddress = new Uri($"queue:{options.RequestQueue}");
        ReplyQueueName = $"{options.ReplyQueuePrefix}-{SanitizeForQueueName(Environment.MachineName)}-{Guid.NewGuid():N}";
    }

    /// <summary>This instance's reply queue (requests also carry its full address as the envelope's ResponseAddress).</summary>
    public string ReplyQueueName { get; }

    /// <summary>Connects the reply queue. Called implicitly by the first request; idempotent.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_replyAddress is not null)
        {
            return;
        }

        await _startLock.WaitAsync(cancellationToken);
        try
        {
            if (_replyAddress is null)
            {
                _replyEndpoint ??= _bus.ConnectReceiveEndpoint(
                    new ReplyEndpointDefinition(ReplyQueueName), KebabCaseEndpointNameFormatter.Instance, ConfigureReplyEndpoint);
                var ready = await _replyEndpoint.Ready.WaitAsync(cancellationToken);
                _replyAddress = ready.InputAddress;
            }
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>
    /// Streams the request's chunks in Seq order without duplicates; ends after the completion.
    /// A chunk with Seq 0 and a higher Attempt than the previous one means the worker restarted the
    /// request: discard the text received so far. Use <see cref="StreamEventsAsync"/> to also get the completion.
    /// </summary>
    /// <exception cref="GenerationFailedException">The worker answered with GenerateFailed.</exception>
    public async IAsyncEnumerable<TokenChunk> StreamAsync(
        GenerateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in StreamEventsAsync(request, cancellationToken))
        {
            if (item is ChunkReceived chunk)
            {
                yield return chunk.Chunk;
            }
        }
    }

    /// <summary>
    /// Streams the request (Stream = true) as events: ordered chunks, restarts, and finally the completion.
    /// Cancelling <paramref name="cancellationToken"/>, or leaving the loop early, publishes CancelGeneration.
    /// </summary>
    /// <exception cref="GenerationFailedException">The worker answered with GenerateFailed.</exception>
    public IAsyncEnumerable<GenerationEvent> StreamEventsAsync(
        GenerateRequest request, CancellationToken cancellationToken = default) =>
        RunAsync(request, stream: true, cancellationToken);

    /// <summary>Sends the request without streaming (Stream = false) and returns the completion.</summary>
    /// <exception cref="GenerationFailedException">The worker answered with GenerateFailed.</exception>
    public async Task<GenerateCompleted> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default)
    {
        await foreach (var item in RunAsync(request, stream: false, cancellationToken))
        {
            if (item is GenerationCompleted completed)
            {
                return completed.Completion;
            }
        }

        throw new InvalidOperationException("The reply stream ended without a completion.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _router.FailAll(new ObjectDisposedException(nameof(InferenceClient)));
        if (_replyEndpoint is { } endpoint)
        {
            await endpoint.StopAsync();
        }

        _startLock.Dispose();
    }

    private async IAsyncEnumerable<GenerationEvent> RunAsync(
        GenerateRequest request, bool stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await StartAsync(cancellationToken);
        var prepared = request with
        {
            RequestId = string.IsNullOrEmpty(request.RequestId) ? Guid.NewGuid().ToString("N") : request.RequestId,
            Stream = stream,
            ReplyTo = BodyReplyTo(),
        };

        var sequencer = new ChunkSequencer(expectChunks: stream);
        var settled = false;
        var batch = new List<GenerationEvent>();
        using var pending = _router.Register(prepared.RequestId);
        try
        {
            await SendAsync(prepared, cancellationToken);
            while (!sequencer.IsFinished)
            {
                var reply = await pending.ReadAsync(cancellationToken);
                if (reply is GenerateFailed failed && sequencer.IsCurrent(failed))
                {
                    settled = true;
                    throw new GenerationFailedException(failed);
                }

                Accept(sequencer, reply, batch);
                foreach (var item in batch)
                {
                    yield return item;
                }

                batch.Clear();
            }
        }
        finally
        {
            // Cancelled, abandoned by the caller, or the client is closing: stop the worker's effort.
            if (!sequencer.IsFinished && !settled)
            {
                await PublishCancelAsync(prepared.RequestId);
            }
        }
    }

    /// <summary>
    /// The bare queue name for the body's ReplyTo, unless the reply address carries declaration flags (a
    /// temporary RabbitMQ queue: "?temporary=true"): a sender addressing the bare name would declare the queue
    /// durable and the broker would refuse the mismatch, so there the envelope's ResponseAddress alone routes replies.
    /// </summary>
    private string? BodyReplyTo() => string.IsNullOrEmpty(_replyAddress?.Query) ? ReplyQueueName : null;

    private static void Accept(ChunkSequencer sequencer, object reply, List<GenerationEvent> batch)
    {
        switch (reply)
        {
            case TokenChunk chunk:
                sequencer.Accept(chunk, batch);
                break;
            case GenerateCompleted completed:
                sequencer.Accept(completed, batch);
                break;
        }
    }

    private async Task SendAsync(GenerateRequest request, CancellationToken cancellationToken)
    {
        var endpoint = await _bus.GetSendEndpoint(_requestAddress);

        // ResponseAddress carries the full reply address (with the broker's queue flags); ReplyTo the bare name.
        await endpoint.Send(request, context => context.ResponseAddress = _replyAddress, cancellationToken);
    }

    private async Task PublishCancelAsync(string requestId)
    {
        if (_disposed)
        {
            return;
        }

        // Not the caller's token: that one is typically the reason we are cancelling.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _bus.Publish(new CancelGeneration { RequestId = requestId }, timeout.Token);
    }

    private void ConfigureReplyEndpoint(IReceiveEndpointConfigurator endpoint)
    {
        endpoint.Handler<TokenChunk>(context => DeliverAsync(context.Message.RequestId, context.Message));
        endpoint.Handler<GenerateCompleted>(context => DeliverAsync(context.Message.RequestId, context.Message));
        endpoint.Handler<GenerateFailed>(context => DeliverAsync(context.Message.RequestId, context.Message));
    }

    private Task DeliverAsync(string requestId, object reply)
    {
        _router.Deliver(requestId, reply);
        return Task.CompletedTask;
    }

    /// <summary>Machine names may hold characters brokers reject in queue names.</summary>
    private static string SanitizeForQueueName(string name) =>
        string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-'));
}
