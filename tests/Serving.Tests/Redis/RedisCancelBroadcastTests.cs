using System.Threading.Channels;
using LlmQueue.Contracts;
using LlmQueue.Serving.Redis;
using LlmQueue.TestKit.Serving;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace LlmQueue.Serving.Tests.Redis;

public sealed class RedisCancelBroadcastTests(SharedRedis redis) : IClassFixture<SharedRedis>
{
    [Fact]
    public async Task A_shared_cancel_is_remembered_for_every_replica_with_its_lifetime()
    {
        using var connection = RedisConnection.Connect(redis.ConnectionString);
        var prefix = $"t-{Guid.NewGuid():N}";
        var replicaA = new RedisCancelBroadcast(connection, prefix, TimeSpan.FromMinutes(10), NullLogger<RedisCancelBroadcast>.Instance);
        var replicaB = new RedisCancelBroadcast(connection, prefix, TimeSpan.FromMinutes(10), NullLogger<RedisCancelBroadcast>.Instance);

        await replicaA.ShareAsync("r-1", relay: false);

        Assert.True(await replicaB.WasCancelledAsync("r-1"));
        Assert.False(await replicaB.WasCancelledAsync("r-2"));
        var key = Assert.Single(connection.GetServer(connection.GetEndPoints()[0]).Keys(pattern: $"{prefix}:cancelled:*"));
        var ttl = await connection.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task A_relayed_cancel_reaches_every_subscribed_replica()
    {
        var prefix = $"t-{Guid.NewGuid():N}";
        using var a = RedisConnection.Connect(redis.ConnectionString);
        using var b = RedisConnection.Connect(redis.ConnectionString);
        var replicaA = new RedisCancelBroadcast(a, prefix, TimeSpan.FromMinutes(10), NullLogger<RedisCancelBroadcast>.Instance);
        var replicaB = new RedisCancelBroadcast(b, prefix, TimeSpan.FromMinutes(10), NullLogger<RedisCancelBroadcast>.Instance);
        var seenByA = Channel.CreateUnbounded<string>();
        var seenByB = Channel.CreateUnbounded<string>();
        await replicaA.SubscribeAsync(id => seenByA.Writer.TryWrite(id));
        await replicaB.SubscribeAsync(id => seenByB.Writer.TryWrite(id));

        await replicaA.ShareAsync("relayed", relay: true);

        Assert.Equal("relayed", await seenByA.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("relayed", await seenByB.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task With_redis_down_sharing_and_lookups_fail_soft()
    {
        using var server = await RedisServer.StartAsync();
        using var connection = RedisConnection.Connect(server.ConnectionString + ",connectTimeout=500,syncTimeout=500,asyncTimeout=500");
        var broadcast = new RedisCancelBroadcast(connection, "t", TimeSpan.FromMinutes(10), NullLogger<RedisCancelBroadcast>.Instance);
        server.Stop();

        await broadcast.ShareAsync("r", relay: true);

        Assert.False(await broadcast.WasCancelledAsync("r"));
    }

    [Fact]
    public async Task A_request_cancelled_at_one_replica_is_answered_cancelled_by_another_that_never_saw_the_cancel()
    {
        string[] tier = [$"--RedisTier:ConnectionString={redis.ConnectionString}", "--RedisTier:Secret=serving-tests-secret-01", $"--RedisTier:KeyPrefix=t-{Guid.NewGuid():N}"];
        var engineA = new ScriptedEngine { AutoDeltas = ["a"] };
        var engineB = new ScriptedEngine { AutoDeltas = ["b"] };
        // Two replicas on separate in-process brokers: the cancel published to A's broker never reaches B's.
        await using var replicaA = await WorkerTestHost.StartAsync(engineA, tier);
        await using var replicaB = await WorkerTestHost.StartAsync(engineB, tier);

        await replicaA.PublishCancelAsync("shared-cancel");
        var broadcast = replicaB.Services.GetService(typeof(LlmQueue.Serving.Admission.ICancelBroadcast)) as LlmQueue.Serving.Admission.ICancelBroadcast;
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!await broadcast!.WasCancelledAsync("shared-cancel"))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "the cancel never reached Redis");
            await Task.Delay(20);
        }

        await replicaB.SendAsync(new GenerateRequest { RequestId = "shared-cancel", Prompt = "p" });

        var completed = await replicaB.Replies.NextAsync<GenerateCompleted>();
        Assert.Equal(("shared-cancel", FinishReasons.Cancelled), (completed.RequestId, completed.FinishReason));
        Assert.Equal(0, engineB.SubmitCalls);
    }
}
