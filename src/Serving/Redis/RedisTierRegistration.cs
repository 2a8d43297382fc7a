using LlmQueue.Engine.KvCache.Remote;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Redis;

public static class RedisTierRegistration
{
    public const string SectionName = "RedisTier";

    /// <summary>
    /// Binds and validates the "RedisTier" section and, when it has a connection string, registers the
    /// <see cref="RemoteKvTier"/> on a <see cref="RedisKvStore"/>. With no connection string the tier is off and
    /// not registered, so consumers resolve it with GetService and get null.
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

        services.AddSingleton(provider => RedisKvStore.Connect(provider.GetRequiredService<IOptions<RemoteKvOptions>>().Value.ConnectionString!));
        services.AddSingleton(provider => new RemoteKvTier(
            provider.GetRequiredService<RedisKvStore>(),
            provider.GetRequiredService<IOptions<RemoteKvOptions>>().Value,
            TimeProvider.System,
            provider.GetRequiredService<ILogger<RemoteKvTier>>()));
        return services;
    }
}
