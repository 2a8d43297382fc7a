using LlmQueue.Engine;
using LlmQueue.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlmQueue.Integration.Tests;

/// <summary>One worker replica built with WorkerHost.CreateBuilder on the RabbitMQ transport.</summary>
public sealed class TestWorker : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private TestWorker(IHost host) => _host = host;

    public IGenerationEngine Engine => _host.Services.GetRequiredService<IGenerationEngine>();

    public IServiceProvider Services => _host.Services;

    /// <param name="settings">More "--Key=Value" settings, e.g. the RedisTier section.</param>
    public static async Task<TestWorker> StartAsync(RabbitMqBroker broker, string requestQueue, int drainTimeoutSeconds = 30, params string[] settings)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        string[] args =
        [
            "--Logging:LogLevel:Default=Warning",
            "--Transport:Kind=RabbitMq",
            "--Transport:RabbitMq:Host=127.0.0.1",
            $"--Transport:RabbitMq:Port={broker.Port.ToString(inv)}",
            $"--Transport:RequestQueue={requestQueue}",
            $"--Transport:DrainTimeoutSeconds={drainTimeoutSeconds.ToString(inv)}",
            .. IntegrationEngine.Args,
            .. settings,
        ];
        var builder = WorkerHost.CreateBuilder(args);
        var host = builder.Build();
        await host.StartAsync();
        return new TestWorker(host);
    }

    public async Task StopAsync()
    {
        _stopped = true;
        await _host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await _host.StopAsync();
        }

        _host.Dispose();
    }
}
