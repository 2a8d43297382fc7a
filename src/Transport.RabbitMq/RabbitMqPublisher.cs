using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace LlmQueue.Transport.RabbitMq;

/// <summary>
/// Publishes on a connection of its own (a blocked or failed publish never touches the consuming channel), over a
/// few channels with publisher confirms and mandatory routing: a publish returns once the broker has the message in
/// a queue, and a message no queue would take is an error, not a silent drop. Reconnects on the next publish.
/// </summary>
internal sealed class RabbitMqPublisher(RabbitMqOptions options, string clientName) : IAsyncDisposable
{
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly IChannel?[] _channels = new IChannel?[options.PublishChannels];
    private IConnection? _connection;
    private int _next;
    private bool _disposed;

    /// <exception cref="ReplyUndeliverableException">No queue takes the message, or the broker refused the address.</exception>
    /// <param name="expiration">Per-message TTL (a scheduled message's delay in its wait queue), or null.</param>
    public async Task PublishAsync(string exchange, string routingKey, OutboundMessage message, CancellationToken cancellationToken, TimeSpan? expiration = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var slot = (int)((uint)Interlocked.Increment(ref _next) % (uint)_channels.Length);
        var channel = await ChannelAsync(slot, cancellationToken).ConfigureAwait(false);
        try
        {
            await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, AmqpProperties.ToBasicProperties(message, expiration), message.Body, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (PublishReturnException ex)
        {
            throw new ReplyUndeliverableException(
                $"the broker routed it to no queue ({ex.ReplyCode} {ex.ReplyText}): no queue named '{routingKey}' exists", ex);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode is 403 or 404)
        {
            // The broker closed the channel over this very publish (refused or unknown exchange): final for this address.
            Forget(slot, channel);
            throw new ReplyUndeliverableException($"the broker refused it ({ex.ShutdownReason.ReplyCode} {ex.ShutdownReason.ReplyText})", ex);
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException or BrokerUnreachableException)
        {
            Forget(slot, channel);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_connection is not null)
            {
                await _connection.CloseAsync().ConfigureAwait(false);
                _connection.Dispose();
                _connection = null;
            }
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException)
        {
            // Closing a connection that already failed.
        }
        finally
        {
            _connectLock.Release();
            _connectLock.Dispose();
        }
    }

    private async Task<IChannel> ChannelAsync(int slot, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _channels[slot]) is { IsOpen: true } open)
        {
            return open;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_channels[slot] is { IsOpen: true } raced)
            {
                return raced;
            }

            if (_connection is not { IsOpen: true })
            {
                _connection?.Dispose();
                Array.Clear(_channels);
                _connection = await options.CreateFactory(clientName).CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            }

            var channel = await _connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
                cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _channels[slot], channel);
            return channel;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private void Forget(int slot, IChannel channel) => Interlocked.CompareExchange(ref _channels[slot], null, channel);
}
