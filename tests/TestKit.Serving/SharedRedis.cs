using Xunit;
using System.Globalization;

namespace LlmQueue.TestKit.Serving;

/// <summary>
/// The Redis most tests share: the one on LLMQ_TEST_REDIS_PORT (.ci/run and tools/local-servers.sh start it),
/// else a private <see cref="RedisServer"/>. Tests that stop or reconfigure Redis start their own instead.
/// </summary>
public sealed class SharedRedis : IAsyncLifetime
{
    private RedisServer? _own;

    public int Port { get; private set; }

    public string ConnectionString => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public async Task InitializeAsync()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("LLMQ_TEST_REDIS_PORT"), out var port))
        {
            Port = port;
            return;
        }

        _own = await RedisServer.StartAsync();
        Port = _own.Port;
    }

    public Task DisposeAsync()
    {
        _own?.Dispose();
        return Task.CompletedTask;
    }
}
