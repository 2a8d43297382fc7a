using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Serving.Admission;
using LlmQueue.Serving.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Redis;

public static class RedisTierRegistration
{
    public const string SectionName = "RedisTier";

    /// <summary>
    /// Binds and validates the "RedisTier" section and, when it has a connection string, registers one Redis
    /// connection, the <see cref="RemoteKvTier"/> on a <see cref="RedisKvStore"/>, and the cancel broadcast. With no
    /// connection string none of them is registered, so consumers resolve them with GetService and get null.
    /// </summary>
    public static IServiceCollection AddRedisKvTier(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        services.AddOptions<RemoteKvOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RemoteKvOptions>, RemoteKvOptionsValidator>();
        if (string.IsNullOrWhiteSpace(section[nameof(RemoteKvOptions.ConnectionString)]))
        {
            return services;
        }

        services.AddSingleton(provider => RedisConnection.Connect(
            provider.GetRequiredService<IOptions<RemoteKvOptions>>().Value.ConnectionString!, provider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RedisConnection))));
        services.AddSingleton(provider => new RedisKvStore(provider.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>()));
        services.AddSingleton<ICancelBroadcast>(provider => new RedisCancelBroadcast(
            provider.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>(),
            provider.GetRequiredService<IOptions<RemoteKvOptions>>().Value.KeyPrefix,
            TimeSpan.FromSeconds(provider.GetRequiredService<IOptions<TransportOptions>>().Value.CancelMemorySeconds),
            provider.GetRequiredService<ILogger<RedisCancelBroadcast>>()));
        services.AddSingleton(provider => new RemoteKvTier(
            provider.GetRequiredService<RedisKvStore>(),
            provider.GetRequiredService<IOptions<RemoteKvOptions>>().Value,
            TimeProvider.System,
            provider.GetRequiredService<ILogger<RemoteKvTier>>()));
        return services;
    }
}
