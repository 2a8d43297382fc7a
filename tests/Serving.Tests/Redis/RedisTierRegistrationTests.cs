using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Serving.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using LlmQueue.TestKit.Serving;

namespace LlmQueue.Serving.Tests.Redis;

public sealed class RedisTierRegistrationTests(SharedRedis redis) : IClassFixture<SharedRedis>
{
    private const string Secret = "a-secret-of-24-characters";

    [Fact]
    public void Defaults_are_valid_and_leave_the_tier_off()
    {
        using var provider = Provider([]);

        Assert.False(provider.GetRequiredService<IOptions<RemoteKvOptions>>().Value.Enabled);
        Assert.Null(provider.GetService<RemoteKvTier>());
    }

    [Fact]
    public async Task A_connection_string_binds_every_setting_and_registers_the_tier()
    {
        await using var provider = Provider(new()
        {
            ["RedisTier:ConnectionString"] = redis.ConnectionString,
            ["RedisTier:Secret"] = Secret,
            ["RedisTier:TtlSeconds"] = "60",
            ["RedisTier:WriteQueueCapacity"] = "8",
        });

        var options = provider.GetRequiredService<IOptions<RemoteKvOptions>>().Value;

        Assert.Equal((redis.ConnectionString, Secret, 60, 8), (options.ConnectionString, options.Secret, options.TtlSeconds, options.WriteQueueCapacity));
        Assert.NotNull(provider.GetService<RemoteKvTier>());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("too-short")]
    public void A_connection_string_needs_a_long_enough_secret(string? secret)
    {
        var failures = new RemoteKvOptions { ConnectionString = "localhost:6379", Secret = secret }.Validate(RedisTierRegistration.SectionName);

        Assert.Equal(["RedisTier:Secret must be set, at least 16 characters, when RedisTier:ConnectionString is set."], failures);
    }

    [Fact]
    public void Every_bad_number_is_named()
    {
        var options = new RemoteKvOptions { TtlSeconds = 0, MaxValueBytes = -1, WriteQueueCapacity = 0, TimeoutMilliseconds = 0, BreakerThreshold = 0, BreakerCoolDownMilliseconds = -5, KeyPrefix = " " };

        var failures = new RemoteKvOptionsValidator().Validate(null, options).Failures!;

        Assert.Contains("RedisTier:TtlSeconds must be > 0, got 0.", failures);
        Assert.Contains("RedisTier:MaxValueBytes must be > 0, got -1.", failures);
        Assert.Contains("RedisTier:WriteQueueCapacity must be > 0, got 0.", failures);
        Assert.Contains("RedisTier:TimeoutMilliseconds must be > 0, got 0.", failures);
        Assert.Contains("RedisTier:BreakerThreshold must be > 0, got 0.", failures);
        Assert.Contains("RedisTier:BreakerCoolDownMilliseconds must be >= 0, got -5.", failures);
        Assert.Contains("RedisTier:KeyPrefix must not be empty.", failures);
    }

    [Fact]
    public void A_bad_section_fails_when_the_options_are_first_read()
    {
        using var provider = Provider(new() { ["RedisTier:ConnectionString"] = "localhost:1" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RemoteKvOptions>>().Value);

        Assert.Contains("RedisTier:Secret must be set", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddRedisKvTier(configuration).BuildServiceProvider();
    }
}
