using System.Runtime.CompilerServices;
using LlmQueue.Contracts;
using LlmQueue.Transport;

namespace LlmQueue.Client;

/// <summary>
/// Producer side of the queue: sends <see cref="GenerateRequest"/> to the workers and reads the replies from one
/// private reply queue owned by this instance. Thread-safe; one instance serves many concurrent requests. Works on
/// any transport, including the in-process broker shared with a worker.
/// </summary>
public sealed class InferenceClient : IAsyncDisposable
{
    private readonly IClientTransport _transport;
    private readonly ReplyRouter _router = new();
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private bool _started;
    private bool _disposed;

    /// <param name="transport">Owned by the client from here on: disposed with it.</param>
    public InferenceClient(IClientTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
    }

    /// <summary>A client on the broker <paramref name="broker"/> names.</summary>
    public InferenceClient(BrokerOptions broker, InferenceClientOptions options)
        : this(ClientTransports.Create(broker, options))
    {
    }

    /// <summary>This instance's reply queue (valid after <see cref="StartAsync"/>).</summary>
    public string ReplyQueueName => _transport.ReplyAddress.Queue;

    /// <summary>Creates the reply queue and starts reading it. Called implicitly by the first request; idempotent.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_started)
        {
            return;
        }

        await _startLock.WaitAsync(cancellationToken);
        try
        {
            if (!_started)
            {
                await _transport.StartAsync(OnReplyAsync, cancellationToken);
                _started = true;
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
        await _transport.DisposeAsync();
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
            ReplyTo = ReplyQueueName,
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

    private Task SendAsync(GenerateRequest request, CancellationToken cancellationToken)
    {
        var message = ContractCodec.Encode(request, WireFormat.Json, request.RequestId);
        return _transport.SendRequestAsync(message with { ReplyToSessionId = _transport.ReplyAddress.SessionId }, cancellationToken);
    }

    private async Task PublishCancelAsync(string requestId)
    {
        if (_disposed)
        {
            return;
        }

        // Not the caller's token: that one is typically the reason we are cancelling.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _transport.PublishCancelAsync(ContractCodec.Encode(new CancelGeneration { RequestId = requestId }, WireFormat.Json, requestId), timeout.Token);
    }

    /// <summary>Replies name their contract in a header; anything else on the reply queue is not ours and is dropped.</summary>
    private Task OnReplyAsync(InboundMessage message)
    {
        try
        {
            switch (message.Headers.GetValueOrDefault(MessageHeaders.MessageType))
            {
                case nameof(TokenChunk):
                    var chunk = ContractCodec.Decode<TokenChunk>(message.Body, message.ContentType);
                    _router.Deliver(chunk.RequestId, chunk);
                    break;
                case nameof(GenerateCompleted):
                    var completed = ContractCodec.Decode<GenerateCompleted>(message.Body, message.ContentType);
                    _router.Deliver(completed.RequestId, completed);
                    break;
                case nameof(GenerateFailed):
                    var failed = ContractCodec.Decode<GenerateFailed>(message.Body, message.ContentType);
                    _router.Deliver(failed.RequestId, failed);
                    break;
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not a reply this client can read; the request it belongs to (if any) times out with its caller.
        }

        return Task.CompletedTask;
    }
}
