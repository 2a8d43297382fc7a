using System.Security.Cryptography;
using System.Text;
using LlmQueue.Serving.Admission;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace LlmQueue.Serving.Redis;

/// <summary>
/// Cancels shared through Redis: a key per cancelled request (SET with a TTL, looked up when a request arrives) and
/// a pub/sub channel that relays each cancel to every subscribed replica. Redis being down costs only the sharing:
/// every call fails soft (logged), and the replica that got the cancel still applies it.
/// </summary>
public sealed partial class RedisCancelBroadcast(IConnectionMultiplexer connection, string keyPrefix, TimeSpan lifetime, ILogger<RedisCancelBroadcast> logger)
    : ICancelBroadcast
{
    /// <summary>A lookup slower than this counts as "not cancelled": the request is not held up for Redis.</summary>
    private static readonly TimeSpan s_lookupTimeout = TimeSpan.FromMilliseconds(250);

    private readonly RedisChannel _channel = RedisChannel.Literal($"{keyPrefix}:cancel");

    public async Task ShareAsync(string requestId, bool relay)
    {
        try
        {
            var database = connection.GetDatabase();
            await database.StringSetAsync(Key(requestId), 1, lifetime).ConfigureAwait(false);
            if (relay)
            {
                await connection.GetSubscriber().PublishAsync(_channel, requestId).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogShareFailed(logger, requestId, ex.Message);
        }
    }

    public async Task<bool> WasCancelledAsync(string requestId)
    {
        try
        {
            return await connection.GetDatabase().KeyExistsAsync(Key(requestId)).WaitAsync(s_lookupTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogLookupFailed(logger, requestId, ex.Message);
            return false;
        }
    }

    public async Task SubscribeAsync(Action<string> onCancel)
    {
        ArgumentNullException.ThrowIfNull(onCancel);
        try
        {
            // The client re-subscribes by itself after a reconnect.
            await connection.GetSubscriber().SubscribeAsync(_channel, (_, value) =>
            {
                if (value.HasValue)
                {
                    onCancel(value.ToString());
                }
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSubscribeFailed(logger, ex.Message);
        }
    }

    // Request ids are arbitrary client strings: hashed, so a key is short and printable whatever the id.
    private RedisKey Key(string requestId) =>
        $"{keyPrefix}:cancelled:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(requestId)))}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not share the cancel of {RequestId} through Redis: {Reason}")]
    private static partial void LogShareFailed(ILogger logger, string requestId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not look up a cancel of {RequestId} in Redis: {Reason}")]
    private static partial void LogLookupFailed(ILogger logger, string requestId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to relayed cancels in Redis (retried on reconnect): {Reason}")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason);
}
