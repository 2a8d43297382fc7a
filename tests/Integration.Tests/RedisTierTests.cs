using System.Diagnostics;
using LlmQueue.Contracts;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.TestKit.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace LlmQueue.Integration.Tests;

/// <summary>Two worker replicas (each on its own request queue, so the test decides who serves what) sharing one Redis.</summary>
[Collection(RabbitMqGroup.Name)]
public sealed class RedisTierTests(RabbitMqServer broker) : IAsyncLifetime
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(60);
    private readonly SharedRedis _redis = new();

    [Fact]
    public async Task Replica_b_answers_a_prompt_replica_a_computed_with_cached_prompt_tokens_and_the_same_tokens()
    {
        var (queueA, queueB) = ($"llmq-redis-a-{Guid.NewGuid():N}", $"llmq-redis-b-{Guid.NewGuid():N}");
        // Key prefix of its own: the shared Redis may hold blocks of other runs of the same synthetic model.
        string[] tier = [$"--RedisTier:ConnectionString={_redis.ConnectionString}", "--RedisTier:Secret=integration-secret-0001", $"--RedisTier:KeyPrefix=it-{Guid.NewGuid():N}"];
        var bed = new RabbitMqTestBed(broker);
        await using var replicaA = await WorkerInstance.StartAsync(bed, queueA, null, tier);
        await using var replicaB = await WorkerInstance.StartAsync(bed, queueB, null, tier);
        await using var producerA = await Producers.StartAsync(broker, queueA);
        await using var producerB = await Producers.StartAsync(broker, queueB);
        var prompt = string.Concat(Enumerable.Repeat("A system prompt every replica sees, long enough to fill several KV blocks. ", 6));

        var first = await producerA.GenerateAsync(Request(prompt), new CancellationTokenSource(_timeout).Token);
        await WaitForWritesAsync(replicaA.Services.GetRequiredService<RemoteKvTier>(), first.Usage.PromptTokens / 16);
        var second = await producerB.GenerateAsync(Request(prompt), new CancellationTokenSource(_timeout).Token);

        Assert.Equal(0, first.Usage.CachedPromptTokens);
        Assert.Equal((first.Usage.PromptTokens - 1) / 16 * 16, second.Usage.CachedPromptTokens);
        Assert.Equal(first.TokenIds, second.TokenIds);
        Assert.True(replicaB.Services.GetRequiredService<RemoteKvTier>().Stats.RemoteHits > 0);
    }

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    private static GenerateRequest Request(string prompt) => new()
    {
        RequestId = $"redis-{Guid.NewGuid():N}",
        Prompt = prompt,
        Sampling = new SamplingParams { MaxTokens = 8, IgnoreEos = true, Seed = 5, Temperature = 0.7 },
    };

    /// <summary>Waits (bounded) until replica A's write-behind queue stored <paramref name="blocks"/> values.</summary>
    private static async Task WaitForWritesAsync(RemoteKvTier tier, long blocks)
    {
        var clock = Stopwatch.StartNew();
        while (tier.Stats.ValuesWritten < blocks)
        {
            Assert.True(clock.Elapsed < _timeout, $"replica A wrote {tier.Stats.ValuesWritten} of {blocks} blocks: {tier.Stats}");
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }
    }
}
